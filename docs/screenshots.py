"""Regenerate every picture in the docs from a real run of the demo (`make docs`).

    python docs/screenshots.py [--model fake] [--study DIR] [--out docs/images]

Runs `deductive demo` into a temporary folder (or uses --study, an existing coded study),
then renders what a researcher sees:
- review-sheet.png: the first rows of a coder's review workbook, printed by LibreOffice
  (xlsx -> pdf) and rasterised by pdftoppm;
- summary.png and audit.png: the HTML summary and audit pages in headless Chromium.
Needs LibreOffice, poppler-utils and Chromium (`.ci/run` installs them).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PICTURES = ("review-sheet.png", "summary.png", "audit.png")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


def _run(args: list[str], **kwargs: object) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600, **kwargs)


def make_demo(folder: Path, model: str | None) -> Path:
    study = folder / "demo"
    args = [sys.executable, "-m", "cli", "demo", str(study)] + (["--model", model] if model else [])
    _run(args, cwd=REPO)
    return study


def review_excerpt(workbook: Path, target: Path, rows: int = 7) -> Path:
    """A copy of the Queue sheet's first rows, laid out for one landscape page.

    LibreOffice prints wrapped rows on top of each other unless their heights are set,
    so every row gets an explicit height.
    """
    from openpyxl import load_workbook
    from openpyxl.worksheet.page import PageMargins

    book = load_workbook(workbook)
    for name in book.sheetnames:
        if name != "Queue":
            book[name].sheet_state = "hidden"
    sheet = book["Queue"]
    book.active = book.sheetnames.index("Queue")
    _keep_interview_rows(sheet, rows)
    sheet.row_dimensions[1].height = 30
    for r in range(2, sheet.max_row + 1):
        sheet.row_dimensions[r].height = 62
    import re

    from openpyxl.utils import get_column_letter

    # A picture, not the workbook: the first three suggestions and one Add code column say it all.
    spare = re.compile(r"^(Suggestion|Decision) [4-9]$|^Add code [2-9]$|^Where$")
    for column in range(1, sheet.max_column + 1):
        if spare.match(str(sheet.cell(1, column).value or "")):
            sheet.column_dimensions[get_column_letter(column)].hidden = True
    for letter, dimension in sheet.column_dimensions.items():
        if dimension.hidden:
            continue
        dimension.width = min(dimension.width or 10, 42)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.2, right=0.2, top=0.2, bottom=0.2)
    sheet.print_area = f"A1:{sheet.cell(row=1, column=sheet.max_column).column_letter}{sheet.max_row}"
    book.save(target)
    return target


def _keep_interview_rows(sheet: object, rows: int) -> None:
    """Keep the header and the first ``rows`` rows of an interview with a speaker (the sheet
    starts with a PDF's title page, which says little about coding)."""
    header = [c.value for c in sheet[1]]
    document, speaker = header.index("Document") + 1, header.index("Speaker") + 1
    wanted = [r for r in range(2, sheet.max_row + 1)
              if "interview" in str(sheet.cell(r, document).value or "") and sheet.cell(r, speaker).value][:rows]
    start = wanted[0] if wanted else 2
    if start > 2:
        sheet.delete_rows(2, start - 2)
    if sheet.max_row > rows + 1:
        sheet.delete_rows(rows + 2, sheet.max_row - rows - 1)


def _trim(png: Path, margin: int = 12) -> None:
    """Crop the white page around the printed cells."""
    from PIL import Image, ImageChops

    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        image.crop((max(left - margin, 0), max(top - margin, 0), min(right + margin, image.width),
                    min(bottom + margin, image.height))).save(png)


def render_workbook(workbook: Path, png: Path, work: Path) -> None:
    _run(["soffice", "--headless", f"-env:UserInstallation=file://{work}/lo-profile",
          "--convert-to", "pdf", "--outdir", str(work), str(workbook)])
    pdf = work / (workbook.stem + ".pdf")
    _run(["pdftoppm", "-png", "-r", "160", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png.with_suffix(""))])
    _trim(png)


def render_page(html: Path, png: Path, work: Path, height: int = 1100) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    _run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}", f"--window-size=1280,{height}",
          f"--screenshot={png}", html.resolve().as_uri()])


def screenshots(study: Path, out: Path, work: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    queues = sorted((study / "data" / "review").glob("queue-*.xlsx"))
    if not queues:
        raise SystemExit(f"{study}: no review workbook under data/review; run the demo first")
    excerpt = review_excerpt(queues[0], work / "review-sheet.xlsx")
    render_workbook(excerpt, out / "review-sheet.png", work)
    render_page(_one(study, "summary.html"), out / "summary.png", work)
    render_page(_one(study, "audit.html"), out / "audit.png", work)
    return [out / name for name in PICTURES]


def _one(study: Path, name: str) -> Path:
    found = sorted(study.rglob(name))
    if not found:
        raise SystemExit(f"{study}: no {name}; run the demo first")
    return found[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="embedding model for the demo run (default: the packaged one)")
    parser.add_argument("--study", type=Path, help="an existing coded study instead of a new demo run")
    parser.add_argument("--out", type=Path, default=HERE / "images")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="deductive-docs-") as tmp:
        work = Path(tmp)
        study = args.study or make_demo(work, args.model)
        for path in screenshots(study, args.out, work):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
