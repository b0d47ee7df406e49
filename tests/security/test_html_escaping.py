"""HTML reports escape every text from outside (issue 16, point 5): a <script> in a
segment, memo or code definition and markup in a code label appear as text, never as tags."""

from __future__ import annotations

from pathlib import Path

import pytest


def _reports(hostile) -> list[Path]:
    return [hostile.summary / "summary.html", hostile.audit / "audit.html"]


@pytest.mark.parametrize("which", [0, 1], ids=["summary", "audit"])
def test_markup_from_outside_is_escaped(hostile, which: int) -> None:
    html = _reports(hostile)[which].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html  # the text is there, shown as text
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the code label '\tTabbed <b>bold</b>'


def test_reports_carry_no_script_of_their_own_that_outside_text_could_reach(hostile) -> None:
    """Every <script in the reports is escaped text: the reports are static pages."""
    for report in _reports(hostile):
        assert "<script" not in report.read_text(encoding="utf-8").lower(), report.name
