"""Hostile inputs: each bad input must end in a clear message, the right exit code, and an
unchanged store (issue 15).

    PYTHONPATH=. python benchmarks/hostile_inputs.py        # prints the table, exits 1 on a failure
    PYTHONPATH=. python benchmarks/hostile_inputs.py --baseline ../main   # and the same inputs on other code

Every case runs the real command line (in-process, click's runner) on a fresh copy of a
small coded study, then checks: the exit code, that the output holds the expected message
(which names the file, row or key), that no Python traceback escaped, and that the store
is unchanged (row counts of every table, and PRAGMA integrity_check) - or, for the few
cases where the good part of a batch must still be processed, that the store changed.
tests/test_hostile_inputs.py runs the same table under pytest.
"""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path and "--code" not in sys.argv:
    sys.path.append(str(ROOT))

MINI_CODEBOOK = """name: mini
codes:
  - id: setting
    label: Setting
    codable: false
    definition: Where the work happens.
  - id: culture
    parent: setting
    label: Culture
    definition: Shared values and norms of the team.
  - id: policy
    parent: setting
    label: Policy
    definition: Formal rules and guidance.
"""
TRANSCRIPT = ("I: Can you tell me how the programme started?\n\nP3: It started with the board. They decided in May "
              "and then we had to find nurses.\n\nI: And the training?\n\nP3: The training was short. We meet every "
              "day to look at alerts.\n")


@dataclass(frozen=True)
class Case:
    """One hostile input. make(tmp, study) writes what it needs and returns the CLI arguments."""

    area: str
    name: str
    make: Callable[[Path, Path], list[str]]
    exit_code: int
    message: str  # a regular expression the output must contain
    store: str = "unchanged"  # "unchanged" | "changed" (the good part of a batch was processed)
    patch: str = ""  # a named environment change for the run (see _patched)


@dataclass(frozen=True)
class Outcome:
    case: Case
    exit_code: int
    line: str
    traceback: bool
    store_ok: bool
    integrity: str
    seconds: float

    @property
    def passed(self) -> bool:
        return (self.exit_code == self.case.exit_code and not self.traceback and self.store_ok
                and self.integrity == "ok" and self.line != "(message not found)")


# --------------------------------------------------------------------------- the study


def build_template(root: Path) -> Path:
    """A study with two cases, a codebook, suggestions and one queued workbook for 'ana'."""
    from pipeline.review import QueueOptions, queue
    from pipeline.study import Study

    (root / "in").mkdir(parents=True)
    (root / "in" / "mini.yaml").write_text(MINI_CODEBOOK, encoding="utf-8")
    corpus = root / "corpus"
    for case in ("alpha", "beta"):
        (corpus / case).mkdir(parents=True)
        (corpus / case / "interview.txt").write_text(TRANSCRIPT, encoding="utf-8")
    study_dir = root / "study"
    with Study.create(study_dir, codebook=root / "in" / "mini.yaml") as study:
        study.ingest([corpus])
        _suggestions(study)
        queue(study, QueueOptions(coder="ana"), study_dir / "data" / "review" / "ana.xlsx")
    return study_dir


def _suggestions(study) -> None:
    version = study.codebook().version
    with study.store.transaction() as conn:
        conn.execute("INSERT INTO suggestion_runs(id, codebook_version, model, method, params) VALUES (?,?,?,?,?)",
                     ("run-1", version, "fake", "test", "{}"))
        for i, seg in enumerate(study.segments()["segment_id"]):
            codes = ("culture", "policy") if i == 1 else (("culture", "policy")[i % 2],)  # row 3 has two
            for rank, code in enumerate(codes, start=1):
                conn.execute("INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score,"
                             " suggested) VALUES (?,?,?,?,?,0.8,0.8,1)", (f"run-1:{seg}:{rank}", "run-1", seg, code, rank))


def snapshot(study_dir: Path) -> tuple[dict[str, int], str]:
    """Row counts of every table, and PRAGMA integrity_check."""
    conn = sqlite3.connect(study_dir / "data" / "study.sqlite")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        return counts, conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------- input makers


def _file(name: str, data: bytes | str) -> Callable[[Path, Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path
    return write  # type: ignore[return-value]


def ingest(name: str, data: bytes | str, *extra: str) -> Callable[[Path, Path], list[str]]:
    return lambda tmp, study: ["ingest", str(study), str(_file(name, data)(tmp)), "--case", "alpha", *extra]


def codebook_add(files: dict[str, str | bytes], main: str) -> Callable[[Path, Path], list[str]]:
    def make(tmp: Path, study: Path) -> list[str]:
        for name, data in files.items():
            _file(name, data)(tmp)
        return ["codebook", "add", str(study), str(tmp / main)]
    return make


def settings(toml: str, command: str = "segment") -> Callable[[Path, Path], list[str]]:
    def make(tmp: Path, study: Path) -> list[str]:
        (study / "deductive.toml").write_text(toml, encoding="utf-8")
        return [command, str(study)]
    return make


def command(*args: str) -> Callable[[Path, Path], list[str]]:
    return lambda tmp, study: [a.replace("{study}", str(study)).replace("{tmp}", str(tmp)) for a in args]


def workbook(edit: Callable[[object, dict[str, int]], None]) -> Callable[[Path, Path], list[str]]:
    """Edit the queued workbook with openpyxl (edit(sheet, header -> column)) and confirm it."""
    def make(tmp: Path, study: Path) -> list[str]:
        from openpyxl import load_workbook

        path = tmp / "returned.xlsx"
        book = load_workbook(study / "data" / "review" / "ana.xlsx")
        sheet = book["Queue"]
        edit(sheet, {str(c.value): c.column for c in sheet[1] if c.value is not None})
        book.save(path)
        return ["confirm", str(study), str(path)]
    return make


def damaged_workbook(tmp: Path, study: Path, name: str = "damaged.xlsx") -> Path:
    """The queued workbook with its Queue sheet's XML cut in half."""
    source, target = study / "data" / "review" / "ana.xlsx", tmp / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, data[: len(data) // 2] if info.filename == "xl/worksheets/sheet2.xml" else data)
    return target


def _set(header: str, value: object, row: int = 2) -> Callable[[object, dict[str, int]], None]:
    def edit(sheet, cols: dict[str, int]) -> None:
        sheet.cell(row, cols[header]).value = value
    return edit


def _both(*edits: Callable[[object, dict[str, int]], None]) -> Callable[[object, dict[str, int]], None]:
    def edit(sheet, cols: dict[str, int]) -> None:
        for e in edits:
            e(sheet, cols)
    return edit


def _rename_sheet(sheet, cols) -> None:
    sheet.title = "Renamed"


def _drop_key(sheet, cols) -> None:
    sheet.delete_cols(cols["text_hash"])


def _xlsx(rows: list[list[object]]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(files: dict[str, str | bytes]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


QDC_ENTITY = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE CodeBook [<!ENTITY x "cut">]>\n'
              '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="A &x; B" isCodable="true"/>'
              '</Codes></CodeBook>')
QDE_ENTITY = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE Project [<!ENTITY x "cut">]>\n'
              '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources><TextSource guid="s" name="d">'
              '<PlainTextContent>before &x; after</PlainTextContent></TextSource></Sources></Project>')


def _batch_with_damaged(tmp: Path, study: Path) -> list[str]:
    from openpyxl import load_workbook

    good = tmp / "good.xlsx"
    book = load_workbook(study / "data" / "review" / "ana.xlsx")
    sheet = book["Queue"]
    cols = {str(c.value): c.column for c in sheet[1] if c.value is not None}
    sheet.cell(2, cols["Decision 1"]).value = "accept"
    book.save(good)
    return ["confirm", str(study), str(damaged_workbook(tmp, study)), str(good)]


def _batch_ingest(tmp: Path, study: Path) -> list[str]:
    folder = tmp / "batch"
    _file("batch/a.pdf", b"%PDF-1.4 not really")(tmp)
    _file("batch/b.txt", "A good document that must still be ingested after the bad one.\n")(tmp)
    return ["ingest", str(study), str(folder), "--case", "alpha"]


LONG = "word " * 200_001  # one paragraph of 1,000,005 characters: spaCy's E088 before issue 15


# --------------------------------------------------------------------------- the table


def cases() -> list[Case]:
    I, C, S, W, R, F = "ingest", "codebook", "settings", "workbook", "REFI import", "flows"
    cyc_a = "name: a\ninclude: [b.yaml]\ncodes:\n  - {id: x, label: X, definition: d}\n"
    cyc_b = "name: b\ninclude: [a.yaml]\ncodes:\n  - {id: y, label: Y, definition: d}\n"
    one = "codes:\n  - {id: x, label: X, definition: d}\n"
    return [
        Case(I, "empty .txt", ingest("empty.txt", b""), 1, r"empty\.txt"),
        Case(I, "empty .md", ingest("empty.md", b""), 1, r"empty\.md"),
        Case(I, "only whitespace", ingest("blank.txt", "  \n\n \t\n"), 1, r"blank\.txt"),
        Case(I, "binary bytes as .txt", ingest("noise.txt", bytes(range(256)) * 40), 1, r"noise\.txt"),
        Case(I, "NUL bytes in a .txt", ingest("nul.txt", b"abc\x00\x00\x00def" * 50), 1, r"nul\.txt"),
        Case(I, "not a PDF", ingest("fake.pdf", b"%PDF-1.4 garbage"), 1, r"fake\.pdf"),
        Case(I, "not a .docx", ingest("fake.docx", b"PK not really"), 1, r"fake\.docx"),
        Case(I, ".docx zip without a document", ingest("nodoc.docx", _zip({"a.txt": "x"})), 1, r"nodoc\.docx"),
        Case(I, "not an .xlsx", ingest("fake.xlsx", b"hello", "--text-column", "text"), 1,
             r"fake\.xlsx: is not an Excel workbook"),
        Case(I, "xlsx formulas without values", ingest("formulas.xlsx", _xlsx([["id", "text"], ["1", "=A2&\"x\""]]),
                                                       "--text-column", "text"), 1, r"formulas without saved values"),
        Case(I, "CSV extra field in the first data row", ingest("extra.csv", "id,text\n1,hello,world\n2,fine\n",
                                                                "--text-column", "text"), 1,
             r"extra\.csv: line 2 has 3 fields but the header has 2"),
        Case(I, "CSV extra field in a later row", ingest("later.csv", "id,text\n1,fine\n2,a,b\n", "--text-column", "text"),
             1, r"later\.csv: line 3 has 3 fields"),
        Case(I, "CSV without the named text column", ingest("cols.csv", "id,body\n1,x\n", "--text-column", "text"), 1,
             r"cols\.csv: has no text column 'text'"),
        Case(I, "CSV header only", ingest("header.csv", "id,text\n", "--text-column", "text"), 1, r"header\.csv"),
        Case(I, "CSV unterminated quote", ingest("quote.csv", 'id,text\n1,"open\n2,x\n', "--text-column", "text"), 1,
             r"quote\.csv"),
        Case(I, "tabular file without --text-column", ingest("notext.csv", "id,text\n1,x\n"), 1,
             r"notext\.csv: is tabular: name the column"),
        Case(I, "CSV case column missing", ingest("case.csv", "id,text\n1,x\n", "--text-column", "text",
                                                  "--case-column", "site"), 1, r"case\.csv: has no case column 'site'"),
        Case(I, "subtitle file with broken times", ingest("bad.vtt", "WEBVTT\n\n00:xx --> 00:01\nhello\n"), 1, r"bad\.vtt"),
        Case(I, "unsupported extension", ingest("tool.exe", b"MZ"), 1, r"tool\.exe: unsupported file type"),
        Case(I, "missing path", command("ingest", "{study}", "{tmp}/nowhere.txt", "--case", "alpha"), 1,
             r"nowhere\.txt: no such file or folder"),
        Case(I, "cases file without a case column", lambda tmp, study: [
            "ingest", str(study), str(_file("c/doc.txt", "Some text here.")(tmp)), "--cases",
            str(_file("cases.csv", "site,country\nx,UK\n")(tmp))], 1, r"cases\.csv: no case column"),
        Case(I, "cases file with a duplicate case", lambda tmp, study: [
            "ingest", str(study), str(_file("c/doc.txt", "Some text here.")(tmp)), "--cases",
            str(_file("cases.csv", "case,country\nx,UK\nx,NO\n")(tmp))], 1, r"cases\.csv: row 3: duplicate case name 'x'"),
        Case(I, "one bad file in a batch (the good one is ingested)", _batch_ingest, 1, r"a\.pdf", store="changed"),
        Case(I, "a 1,000,005-character paragraph segments", ingest("long.txt", LONG), 0, r"new\s+.*long\.txt",
             store="changed"),
        Case(C, "include cycle", codebook_add({"a.yaml": cyc_a, "b.yaml": cyc_b}, "a.yaml"), 1,
             r"makes a cycle \((a\.yaml -> b\.yaml -> a\.yaml|b\.yaml -> a\.yaml -> b\.yaml)\)"),
        Case(C, "misspelt top-level key (inclde)", codebook_add({"m.yaml": "inclde: [x.yaml]\n" + one}, "m.yaml"), 1,
             r"m\.yaml.*unknown top-level key 'inclde': did you mean 'include'"),
        Case(C, "missing include names the including file", codebook_add({"main.yaml": "include: [gone.yaml]\n" + one},
                                                                          "main.yaml"), 1,
             r"main\.yaml: .*`include:` names gone\.yaml, which does not exist"),
        Case(C, "self include", codebook_add({"self.yaml": "include: [self.yaml]\n" + one}, "self.yaml"), 1,
             r"names the file itself"),
        Case(C, "label is a number", codebook_add({"n.yaml": "codes:\n  - {id: x, label: 2020, definition: d}\n"}, "n.yaml"),
             1, r"'label' must be text"),
        Case(C, "definition is a list", codebook_add({"l.yaml": "codes:\n  - {id: x, label: X, definition: [a, b]}\n"},
                                                     "l.yaml"), 1, r"'definition' must be text"),
        Case(C, "non-workbook .xlsx codebook", codebook_add({"cb.xlsx": b"not a zip"}, "cb.xlsx"), 1,
             r"cb\.xlsx: .*not an Excel workbook"),
        Case(C, "YAML syntax error", codebook_add({"y.yaml": "codes: [\n  - id: x\n"}, "y.yaml"), 1, r"not valid YAML"),
        Case(C, "empty YAML", codebook_add({"e.yaml": ""}, "e.yaml"), 1, r"the file is empty"),
        Case(C, "duplicate ids", codebook_add({"d.yaml": one + "  - {id: x, label: X2, definition: d}\n"}, "d.yaml"), 1,
             r"duplicate id 'x'"),
        Case(C, "unknown parent", codebook_add({"p.yaml": "codes:\n  - {id: x, parent: nope, label: X, definition: d}\n"},
                                               "p.yaml"), 1, r"nope"),
        Case(C, "codable code without a definition", codebook_add({"nd.yaml": "codes:\n  - {id: x, label: X}\n"}, "nd.yaml"),
             1, r"codable code 'x' has no definition"),
        Case(C, "CSV codebook without an id column", codebook_add({"t.csv": "label,definition\nX,d\n"}, "t.csv"), 1,
             r"no 'id' column"),
        Case(C, "codes is not a list", codebook_add({"nl.yaml": "codes: {id: x}\n"}, "nl.yaml"), 1, r"must be a list"),
        Case(C, "unknown field in a code", codebook_add({"uf.yaml": "codes:\n  - {id: x, label: X, definition: d, colour: red}\n"},
                                                        "uf.yaml"), 1, r"unknown field\(s\) colour"),
        Case(C, "unsupported codebook format", codebook_add({"cb.txt": "x"}, "cb.txt"), 1, r"unsupported codebook format"),
        Case(S, "settings file is not TOML", settings("[segment\nunit = 'x'\n"), 1, r"deductive\.toml"),
        Case(S, "unknown segment unit", settings("[segment]\nunit = \"chapter\"\n"), 1, r"'segment\.unit' is 'chapter'"),
        Case(S, "min_chars above max_chars", settings("[segment]\nmin_chars = 900\nmax_chars = 100\n"), 1,
             r"'segment\.min_chars' \(900\)"),
        Case(S, "--unit not a unit", command("segment", "{study}", "--unit", "chapter"), 2, r"Invalid value for '--unit'"),
        Case(S, "queue --overlap out of range", command("queue", "{study}", "--coder", "ben", "--overlap", "1.5", "--with", "cy"),
             1, r"--overlap 1\.5 must be a share between 0 and 1"),
        Case(S, "queue --cases unknown", command("queue", "{study}", "--coder", "ben", "--cases", "gamma"), 1,
             r"--cases: gamma unknown"),
        Case(S, "queue --coder empty", command("queue", "{study}", "--coder", " "), 1, r"--coder is empty"),
        Case(S, "not a study folder", command("status", "{tmp}"), 1, r"not a deductive study"),
        Case(S, "store locked by another program", command("segment", "{study}", "--unit", "paragraph"), 1,
             r"the study store is locked by another program", patch="locked"),
        Case(W, "review file is not a workbook", lambda tmp, study: ["confirm", str(study), str(_file("x.xlsx", b"no")(tmp))],
             1, r"x\.xlsx: not a readable \.xlsx workbook"),
        Case(W, "damaged sheet XML", lambda tmp, study: ["confirm", str(study), str(damaged_workbook(tmp, study))], 1,
             r"damaged\.xlsx: damaged workbook"),
        Case(W, "damaged workbook among several (the rest imported)", _batch_with_damaged, 1,
             r"damaged\.xlsx: damaged workbook", store="changed"),
        Case(W, "Queue sheet renamed", workbook(_rename_sheet), 1, r"no sheet named 'Queue'"),
        Case(W, "hidden key column removed", workbook(_drop_key), 1, r"row 1 has no column 'text_hash'"),
        Case(W, "edited segment id", workbook(_both(_set("segment_id", "abc"), _set("Decision 1", "accept"))), 1,
             r"row 2.*edited key \(segment 'abc'"),
        Case(W, "edited text hash", workbook(_both(_set("text_hash", "0" * 16), _set("Decision 1", "accept"))), 1,
             r"row 2.*text hash differs"),
        Case(W, "a decision that is not accept/reject", workbook(_set("Decision 1", "maybe")), 1,
             r"row 2.*'maybe' is not a decision"),
        Case(W, "unknown workbook id", workbook(lambda sheet, cols: [sheet.cell(r, cols["workbook_id"]).__setattr__(
            "value", "wb-000000000000") for r in range(2, sheet.max_row + 1)]), 1, r"unknown workbook id 'wb-000000000000'"),
        Case(W, "accepted and rejected the same code", workbook(_both(_set("Decision 1", "reject"),
                                                                      _set("Add code 1", "Culture [culture]"))), 1,
             r"row 2.*both rejected and added"),
        Case(W, "nothing applies beside an accepted code", workbook(_both(_set("Decision 1", "accept"),
                                                                          _set("Nothing applies", "yes"))), 1,
             r"row 2.*contradicts"),
        Case(W, "group heading under Add code", workbook(_set("Add code 1", "Setting [setting]")), 1,
             r"row 2.*group heading"),
        Case(W, "a pick from another codebook", workbook(_set("Add code 1", "Leadership [leadership]")), 1,
             r"row 2.*'Leadership \[leadership\]' is not a code"),
        Case(W, "a formula typed as a decision", workbook(_set("Decision 1", "=1+1")), 1, r"row 2.*is not a decision"),
        Case(W, "decision for a suggestion the row does not have", workbook(_set("Decision 2", "accept")), 1,
             r"row 2.*there is no suggestion 2"),
        Case(R, "codebook .qdc declaring entities", lambda tmp, study: [
            "codebook", "import", str(_file("e.qdc", QDC_ENTITY)(tmp)), "--out", str(tmp / "o.yaml")], 1,
             r"e\.qdc: declares XML entities"),
        Case(R, "project .qdpx declaring entities", lambda tmp, study: [
            "import", str(study), str(_file("e.qdpx", _zip({"project.qde": QDE_ENTITY}))(tmp))], 1,
             r"e\.qdpx.*declares XML entities"),
        Case(R, ".qdpx that is not a zip", lambda tmp, study: ["import", str(study), str(_file("n.qdpx", b"nope")(tmp))], 1,
             r"n\.qdpx"),
        Case(R, ".qdpx without project.qde", lambda tmp, study: [
            "import", str(study), str(_file("m.qdpx", _zip({"other.txt": "x"}))(tmp))], 1, r"m\.qdpx"),
        Case(R, ".qdc that is not XML", lambda tmp, study: [
            "codebook", "import", str(_file("b.qdc", "not xml <")(tmp)), "--out", str(tmp / "o.yaml")], 1,
             r"b\.qdc: not well-formed XML"),
        Case(F, "run when loopback is down", command("run", "{study}"), 1,
             r"need the loopback network \(127\.0\.0\.1\)", patch="no-loopback"),
        Case(F, "run on a folder that is not a study", command("run", "{tmp}/nostudy"), 1, r"not a deductive study"),
    ]


# --------------------------------------------------------------------------- running


@contextmanager
def _patched(kind: str, study: Path) -> Iterator[None]:
    if kind == "locked":
        import pipeline.store as store

        holder = sqlite3.connect(study / "data" / "study.sqlite", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        before = getattr(store, "BUSY_TIMEOUT", None)  # code before issue 15 waits its fixed 30 s
        store.BUSY_TIMEOUT = 0.5  # type: ignore[attr-defined]
        try:
            yield
        finally:
            store.BUSY_TIMEOUT = before  # type: ignore[attr-defined]
            holder.execute("ROLLBACK")
            holder.close()
    elif kind == "no-loopback":
        real = socket.create_connection

        def unreachable(*args, **kwargs):
            raise OSError(101, "Network is unreachable")
        socket.create_connection = unreachable  # type: ignore[assignment]
        try:
            yield
        finally:
            socket.create_connection = real  # type: ignore[assignment]
    else:
        yield


def run_case(case: Case, template: Path, work: Path) -> Outcome:
    """One case; a failure of the harness itself counts as a failed case, never stops the table."""
    try:
        return _run_case(case, template, work)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        return Outcome(case, -1, f"harness error {type(exc).__name__}: {exc}", True, False, "?", 0.0)


def _run_case(case: Case, template: Path, work: Path) -> Outcome:
    from click.testing import CliRunner

    from cli.main import cli

    study = work / "study"
    shutil.copytree(template, study)
    (work / "tmp").mkdir()
    args = case.make(work / "tmp", study)
    before, _ = snapshot(study)
    started = time.perf_counter()
    with _patched(case.patch, study):
        result = CliRunner().invoke(cli, args, catch_exceptions=True)
    seconds = time.perf_counter() - started
    output = result.output + (result.stderr if hasattr(result, "stderr_bytes") and result.stderr_bytes else "")
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    after, integrity = snapshot(study)
    changed = after != before
    store_ok = changed if case.store == "changed" else not changed
    found = re.search(case.message, output, re.DOTALL)
    line = _line(output, found) if found else "(message not found)"
    if escaped:
        line = f"{type(result.exception).__name__}: {result.exception}"
    return Outcome(case, result.exit_code, line, escaped or "Traceback" in output, store_ok, integrity, seconds)


def _line(output: str, found: re.Match) -> str:
    """The output line where the expected message starts."""
    start = output.rfind("\n", 0, found.start()) + 1
    end = output.find("\n", found.start())
    return output[start: end if end != -1 else len(output)].strip()


def run_all(selected: list[Case] | None = None, skip_patch: str = "") -> list[Outcome]:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        template = build_template(base / "template")
        outcomes = []
        for i, case in enumerate(c for c in (selected or cases()) if not (skip_patch and c.patch == skip_patch)):
            work = base / f"case{i:03d}"
            work.mkdir()
            outcomes.append(run_case(case, template, work))
            shutil.rmtree(work, ignore_errors=True)
        return outcomes


def main(argv: list[str]) -> int:
    """--code DIR: run against another checkout's code; --baseline DIR: also run that
    checkout (e.g. the code before issue 15) in a subprocess and print its summary."""
    import os
    import subprocess

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    baseline = None
    if "--baseline" in argv:
        where = argv[argv.index("--baseline") + 1]
        # Without check_loopback, the loopback case would start Prefect with no network: left out there.
        done = subprocess.run([sys.executable, __file__, "--code", where, "--summary"], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": where}, timeout=3000)
        baseline = (done.stdout.strip().splitlines() or [done.stderr.strip()[-300:]])[-1]
    summary = "--summary" in argv
    outcomes = run_all(skip_patch="no-loopback" if summary else "")
    if summary:
        passed = sum(o.passed for o in outcomes)
        failed = [f"{o.case.area}: {o.case.name} ({o.line[:60]})" for o in outcomes if not o.passed]
        for line in failed:
            print(f"  failed: {line}")
        print(f"{passed} passed, {len(outcomes) - passed} failed of {len(outcomes)} (the loopback case not run)")
        return 0
    print(f"{'area':<12} {'input':<52} {'exit':>4} {'want':>4} {'store':<9} {'ok':<4} message")
    for o in outcomes:
        store = ("changed" if o.case.store == "changed" else "same") if o.store_ok else "WRONG"
        print(f"{o.case.area:<12} {o.case.name[:52]:<52} {o.exit_code:>4} {o.case.exit_code:>4} {store:<9} "
              f"{'yes' if o.passed else 'NO':<4} {o.line[:150]}")
    passed = sum(o.passed for o in outcomes)
    areas = sorted({o.case.area for o in outcomes})
    print(f"\n{passed} passed, {len(outcomes) - passed} failed ({len(outcomes)} hostile inputs across "
          f"{', '.join(areas)}); every store passed PRAGMA integrity_check: "
          f"{all(o.integrity == 'ok' for o in outcomes)}")
    if baseline is not None:
        print(f"baseline, code in {argv[argv.index('--baseline') + 1]}: {baseline}")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    if "--code" in sys.argv:  # import the other checkout's pipeline/ and cli/ instead of this one's
        sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])
    sys.exit(main(sys.argv[1:]))
