"""The codebook model: ``Code`` and ``Codebook``, frozen, with the version as a content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from pipeline.errors import ConfigError

__all__ = ["Code", "Codebook", "FIELDS", "CODE_UNITS"]

FIELDS = ("id", "parent", "label", "definition", "inclusion", "exclusion", "examples", "codable", "exclusive",
          "unit", "scope")
# The units a code can name, smallest first (pipeline.suggest.units rolls evidence up to them).
CODE_UNITS = ("sentence", "paragraph", "turn", "section", "document")


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    parent: str | None = None
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: tuple[str, ...] = ()
    codable: bool = True
    exclusive: bool = False
    unit: str | None = None  # None: the nearest ancestor's, else the segment itself
    scope: tuple[str, ...] = ()  # speaker roles; empty: the nearest ancestor's, else everyone

    def content(self) -> dict[str, Any]:
        """The fields the version hashes: unit and scope only when set, so codebooks
        written before they existed keep their versions."""
        data = asdict(self)
        if self.unit is None:
            del data["unit"]
        if not self.scope:
            del data["scope"]
        return data


@dataclass(frozen=True)
class Codebook:
    name: str
    codes: tuple[Code, ...]
    source: str = ""
    description: str = ""

    @property
    def version(self) -> str:
        """Content hash of the codes (format- and order-of-keys independent)."""
        payload = json.dumps([c.content() for c in self.codes], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def get(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    @property
    def codable(self) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.codable)

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent == code_id)

    def ancestors(self, code_id: str) -> tuple[Code, ...]:
        """Parent first, root last."""
        chain, current = [], self.get(code_id).parent
        while current is not None:
            node = self.get(current)
            chain.append(node)
            current = node.parent
        return tuple(chain)

    def exclusive_groups(self) -> dict[str, tuple[str, ...]]:
        """Parent id -> ids of its codable children, for parents marked exclusive."""
        return {
            c.id: tuple(k.id for k in self.children(c.id) if k.codable)
            for c in self.codes
            if c.exclusive
        }

    def unit_of(self, code_id: str) -> str | None:
        """The code's unit, or its nearest ancestor's; None: the segment itself."""
        for node in (self.get(code_id),) + self.ancestors(code_id):
            if node.unit:
                return node.unit
        return None

    def scope_of(self, code_id: str) -> tuple[str, ...]:
        """The code's speaker roles, or its nearest ancestor's; () means every speaker."""
        for node in (self.get(code_id),) + self.ancestors(code_id):
            if node.scope:
                return node.scope
        return ()

    def path_label(self, code_id: str) -> str:
        """"Domain > Construct": the labels of the code's ancestors and its own."""
        chain = (self.get(code_id),) + self.ancestors(code_id)
        return " > ".join(node.label for node in reversed(chain))

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def with_descendants(self, code_ids: Iterable[str]) -> set[str]:
        """The given codes and every code below them (for --codes filters).

        Raises ConfigError naming the ids that are not codes of this codebook version.
        """
        wanted = set(code_ids)
        unknown = sorted(wanted - {c.id for c in self.codes})
        if unknown:
            raise ConfigError(f"--codes: {', '.join(map(repr, unknown))} not in codebook {self.name} (version {self.version}); "
                              "use code ids from the codebook (`deductive codebook show`)")
        return wanted | {c.id for c in self.codes if any(a.id in wanted for a in self.ancestors(c.id))}

