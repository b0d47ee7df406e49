"""One exception hierarchy for the whole library.

    DeductiveError                 anything the library raises on purpose
    ├── InputError                 a user-supplied file, row or key is wrong
    │   ├── IngestError            a document cannot be read (names the file)
    │   ├── CodebookError          a codebook is invalid (names file and row/key)
    │   ├── ConfigError            deductive.toml or a flag is invalid (names the key)
    │   ├── WorkbookError          a review workbook is invalid (names sheet/row/column)
    │   └── ExchangeError          a REFI-QDA .qdc/.qdpx file cannot be imported (names file/element)
    ├── StudyError                 the study folder or its store is missing or unusable
    └── ModelError                 an embedding model cannot be found or loaded

Messages say what is wrong, where, and what to do next. Third-party exceptions are
translated in the one module that imports that library, always ``raise ... from exc``.
The CLI turns any ``DeductiveError`` into one line on stderr and exit code 1.
"""

from __future__ import annotations

__all__ = [
    "DeductiveError",
    "InputError",
    "IngestError",
    "CodebookError",
    "ConfigError",
    "WorkbookError",
    "ExchangeError",
    "StudyError",
    "ModelError",
]


class DeductiveError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(DeductiveError):
    """A user-supplied input is wrong; the message says where and what to do."""


class IngestError(InputError):
    """A document cannot be ingested. ``path`` names the file."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class CodebookError(InputError):
    """A codebook is invalid. ``problems`` lists every located problem found."""

    def __init__(self, source: object, problems: list[str] | str) -> None:
        self.source = str(source)
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        lines = "\n  ".join(self.problems)
        super().__init__(f"{self.source}: invalid codebook:\n  {lines}")


class ConfigError(InputError):
    """A setting in deductive.toml or on the command line is invalid."""


class WorkbookError(InputError):
    """A review workbook cannot be imported; nothing was written."""


class ExchangeError(InputError):
    """A .qdc or .qdpx file cannot be imported (names the file and element); nothing was written."""

    def __init__(self, source: object, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class StudyError(DeductiveError):
    """The study folder or its store is missing, newer than this version, or unusable."""


class ModelError(DeductiveError):
    """An embedding model cannot be found or loaded. No other model is substituted."""
