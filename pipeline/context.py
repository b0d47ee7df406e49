"""What a stage needs of a study, as a protocol: the stages sit below ``pipeline.study``.

``pipeline.study.Study`` is the one implementation and the callers' seam; the stages that
need more than the store (review, summarize, audit, the codebook exchange, the output
stamps) are typed against this protocol, so they never import the ``Study`` that calls them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.config import Settings
from pipeline.store import Store

__all__ = ["StudyContext"]


class StudyContext(Protocol):
    root: Path
    settings: Settings
    store: Store

    def codebook(self, version: str | None = None) -> Codebook: ...

    def embedder(self, model: str | Path | None = None) -> Any: ...

    def cases(self) -> pd.DataFrame: ...

    def documents(self, all_versions: bool = False) -> pd.DataFrame: ...

    def segments(self) -> pd.DataFrame: ...
