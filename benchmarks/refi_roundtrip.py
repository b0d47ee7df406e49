"""REFI-QDA on real exports: import time, mapped codings, and an exported round trip.

For the QualCoder demo export and the NVivo for Mac 15 export under ../shared/refi it
prints, in one run: the time to unzip and parse the project XML alone (the baseline),
the time to import it into a fresh study (reading, segmenting, mapping codings,
writing decisions), how many codings mapped; then exports the study, validates the
.qdpx against Project.xsd, imports it into another fresh study and counts the codings.
The one-off start-up of the command (imports, spaCy) is not included.

    python benchmarks/refi_roundtrip.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.study import Study  # noqa: E402

SHARED = Path(os.environ.get("DEDUCTIVE_SHARED") or ROOT.parent / "shared")  # as in tests/shared_data.py
REFI = SHARED / "refi"
EXPORTS = ("qc-demo-export.qdpx", "nvivo15-mac-export.qdpx")


def parse_only(path: Path) -> float:
    started = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        etree.fromstring(archive.read("project.qde"))
    return time.perf_counter() - started


def warm_up() -> None:
    """Load spaCy and the rest once, as a running command has: that start-up is not import time."""
    with tempfile.TemporaryDirectory() as tmp:
        note = Path(tmp) / "note.txt"
        note.write_text("A first sentence. A second one.\n", encoding="utf-8")
        with Study.create(Path(tmp) / "warm-up") as study:
            study.ingest([note], case="warm-up")


def main() -> None:
    missing = [name for name in (*EXPORTS, "Project.xsd") if not (REFI / name).exists()]
    if missing:
        sys.exit(f"needs {', '.join(missing)} in {REFI} (the shared REFI-QDA files beside the repository)")
    schema = etree.XMLSchema(etree.parse(str(REFI / "Project.xsd")))
    warm_up()
    for name in EXPORTS:
        with tempfile.TemporaryDirectory() as tmp:
            parse_s = parse_only(REFI / name)
            with Study.create(Path(tmp) / "study") as study:
                started = time.perf_counter()
                report = study.import_project(REFI / name)
                import_s = time.perf_counter() - started
                out = Path(tmp) / "export.qdpx"
                exported = study.export_project(out)
            with zipfile.ZipFile(out) as archive:
                valid = schema.validate(etree.fromstring(archive.read("project.qde")))
            with Study.create(Path(tmp) / "again") as again:
                back = again.import_project(out)
            print(f"{name}: {report.sources} sources, {report.codes} codes, {report.codings} codings")
            print(f"  parse the project XML alone (baseline): {parse_s:.2f} s; import into a study: {import_s:.2f} s")
            print(f"  codings mapped to segments: {report.codings_mapped} of {report.codings}; decisions written: {report.decisions}")
            print(f"  exported .qdpx: {out.stat().st_size / 1024:.0f} KB, {exported.codings} human codings, "
                  f"valid against Project.xsd: {valid}; imported back: {back.codings} codings, {back.decisions} decisions")


if __name__ == "__main__":
    main()
