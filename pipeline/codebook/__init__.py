"""Codebooks: load YAML, CSV or XLSX into a validated, versioned ``Codebook``.

Every format has the same fields per code: id, parent, label, definition, inclusion,
exclusion, examples (several), codable (default true), exclusive (a parent whose
children are mutually exclusive: one choice per segment), unit (the text unit the code is
suggested on: sentence, paragraph, turn, section or document; docs/units-and-scope.md)
and scope (the speaker roles it applies to, e.g. participant; a tabular cell separates
them with commas). A code without unit or scope takes its nearest ancestor's. The hierarchy may be of any
depth. A codebook's version is the hash of its content, so the same codes give the same
version whatever file format they came in.

Modules: model (``Code``, ``Codebook``, the fields), read (files in, validated), storage
(the study's store and YAML out). Import from ``pipeline.codebook``.
"""

from pipeline.codebook.model import CODE_UNITS, FIELDS, Code, Codebook
from pipeline.codebook.read import TOP_LEVEL_KEYS, load_codebook
from pipeline.codebook.storage import save_codebook, stored_codebook, write_codebook_yaml

# CODE_UNITS and TOP_LEVEL_KEYS are importable from here too, outside the star-import surface.
__all__ = ["Code", "Codebook", "load_codebook", "save_codebook", "stored_codebook", "write_codebook_yaml", "FIELDS"]
