"""Content hashes: the one helper every stage uses to name bytes and texts by their content.

Kept apart from the stages (and free of imports) so that any module can use it without
pulling in documents, the store or the settings.
"""

from __future__ import annotations

import hashlib

__all__ = ["sha256"]


def sha256(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of a text's UTF-8 bytes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()
