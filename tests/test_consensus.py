"""Consensus merging of several coders' labels (merge_coders), checked on hand-built
tables and by rebuilding the released MentalManip gold files from the raw annotations."""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.reliability import CODER, LABEL, UNIT, merge_coders
from shared_data import shared_file

NONE = np.nan  # a coder who decided the unit and applied no label


def _labels(rows: list[tuple[Any, Any, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[UNIT, CODER, LABEL])


# Unit u1: three coders, "a" by all, "b" by two. Unit u2: "c" by one of two coders, the
# other decided it with no label. Unit u3: one coder with "a" given twice.
TOY = _labels(
    [
        ("u1", 1, "a"), ("u1", 1, "b"), ("u1", 2, "a"), ("u1", 2, "b"), ("u1", 3, "a"),
        ("u2", 1, "c"), ("u2", 2, NONE),
        ("u3", 1, "a"), ("u3", 1, "a"),
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # All coders of the unit: the coder who applied nothing blocks "c" on u2.
        ("unanimous", [("u1", "a"), ("u3", "a")]),
        # More than half: 2 of 3 on u1; 1 of 2 is not a majority on u2.
        ("majority", [("u1", "a"), ("u1", "b"), ("u3", "a")]),
        # A fixed count, whatever the number of coders; duplicates count once.
        (("at_least", 2), [("u1", "a"), ("u1", "b")]),
        (("at_least", 1), [("u1", "a"), ("u1", "b"), ("u2", "c"), ("u3", "a")]),
        (("at_least", 3), [("u1", "a")]),
    ],
)
def test_merge_rules(rule: Any, expected: list[tuple[str, str]]) -> None:
    got = merge_coders(TOY, rule)
    assert list(got.columns) == [UNIT, LABEL]
    assert list(got.itertuples(index=False, name=None)) == expected


@pytest.mark.parametrize("rule", ["mostly", ("at_least", 0), ("at_least", "2"), ("at_most", 2)])
def test_unknown_rule_is_an_input_error(rule: Any) -> None:
    with pytest.raises(InputError, match="consensus rule"):
        merge_coders(TOY, rule)


def test_missing_columns_are_an_input_error() -> None:
    with pytest.raises(InputError, match="lacks column"):
        merge_coders(TOY.rename(columns={LABEL: "tag"}), "unanimous")


# --- MentalManip ---------------------------------------------------------------------------

SLOTS = (1, 2, 3)
CANNOT_DECIDE = "cannot decide"


def _read(name: str) -> list[dict[str, str]]:
    path = shared_file("benchmarks", "mentalmanip", name)
    # The upstream README warns that pandas mis-parses some rows; csv reads them right.
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split(cell: str) -> list[str]:
    return [label for label in cell.split(",") if label]


def _field(detailed: list[dict[str, str]], field: str) -> pd.DataFrame:
    """(unit, coder, label) for one field. The coder is the annotation slot 1-3 (each
    dialogue's three slots hold three different annotators). 'cannot decide' and empty
    cells become a no-label row: the annotator saw the dialogue but chose no label."""
    rows = []
    for row in detailed:
        for slot in SLOTS:
            labels = [x for x in _split(row[f"{field}_{slot}"]) if x != CANNOT_DECIDE]
            rows += [(row["id"], slot, label) for label in labels] or [(row["id"], slot, NONE)]
    return _labels(rows)


def _joined(merged: pd.DataFrame) -> dict[str, set[str]]:
    return merged.groupby(UNIT)[LABEL].agg(set).to_dict()


@pytest.fixture(scope="module")
def detailed() -> list[dict[str, str]]:
    return _read("mentalmanip_detailed.csv")


@pytest.mark.parametrize(
    ("released", "rule"), [("mentalmanip_con.csv", "unanimous"), ("mentalmanip_maj.csv", "majority")]
)
def test_mentalmanip_gold_files_are_reproduced(
    detailed: list[dict[str, str]], released: str, rule: str
) -> None:
    """Rebuild mentalmanip_con.csv / _maj.csv row for row from mentalmanip_detailed.csv.

    Derivation: ``Manipulative`` (one 0/1 label per annotator) is merged with
    "unanimous" for _con, which also decides which dialogues _con keeps (the 2,915 whose
    three annotators agree), and "majority" (2 of 3) for _maj (all 4,000). ``Technique``
    and ``Vulnerability`` (multi-label) keep each label given by at least two of the
    three annotators, for both files, whatever the Manipulative vote. 'cannot decide'
    is not a label: no released cell holds it, though two or more annotators wrote it
    in 3 Technique and 7 Vulnerability cells of _maj.

    Reproduced exactly: the rows and their order (ascending numeric ID), ``ID``,
    ``Dialogue`` and ``Manipulative`` character for character, and the label SET of
    every ``Technique`` and ``Vulnerability`` cell (so every cell with 0 or 1 label is
    reproduced character for character).
    Not reproduced: the order of labels inside a cell with 2+ labels (580 Technique and
    70 Vulnerability cells in _maj). It is not a function of the detailed file: dialogues
    with identical annotations in identical slots are released in different orders
    (slots 'Accusation' / 'Shaming or Belittlement' / 'Shaming or Belittlement,Accusation'
    give 'Shaming or Belittlement,Accusation' for ID 85514527 but
    'Accusation,Shaming or Belittlement' for 85515776), as Python set iteration would.
    The released order is compared as a set, and the released cells are checked to
    hold no duplicate labels.
    """
    gold = _read(released)
    manipulative = merge_coders(_field(detailed, "manipulative"), rule)
    technique = _joined(merge_coders(_field(detailed, "technique"), ("at_least", 2)))
    vulnerability = _joined(merge_coders(_field(detailed, "vulnerability"), ("at_least", 2)))
    dialogue = {row["id"]: row["dialogue"] for row in detailed}

    assert manipulative[UNIT].is_unique  # a 0/1 field cannot have two winning labels
    vote = dict(zip(manipulative[UNIT], manipulative[LABEL]))
    assert [row["ID"] for row in gold] == sorted(vote, key=int)
    for row in gold:
        unit = row["ID"]
        assert row["Dialogue"] == dialogue[unit], unit
        assert row["Manipulative"] == vote[unit], unit
        for column, merged in (("Technique", technique), ("Vulnerability", vulnerability)):
            cell = _split(row[column])
            assert len(cell) == len(set(cell)), (unit, column)
            assert set(cell) == merged.get(unit, set()), (unit, column)
