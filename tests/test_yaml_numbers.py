"""Plain YAML scalars are read as the user wrote them (issue 12): YAML 1.1 read `010` as 8,
`055` as 45 and `6:40` as 400 without a word. The reader follows YAML 1.2's core schema for
numbers: leading zeros are decimal, sexagesimal and 1_000 are text (so a field that needs a
number says so, with its key path and line)."""

from __future__ import annotations

import pytest

from advisor.errors import InputError
from advisor.yamlio import parse_text

from conftest import state_of


@pytest.mark.parametrize("text, value", [
    ("010", 10), ("055", 55), ("-010", -10), ("08", 8), ("0400", 400), ("+5", 5),
    ("0o10", 8), ("0x10", 16), ("1e3", 1000.0), (".5", 0.5), ("2.50", 2.5),
    ("6:40", "6:40"), ("1:30:00", "1:30:00"), ("1_000", "1_000"), ("0b11", "0b11"), ("2024-01-01", "2024-01-01"),
    ("'010'", "010"), ("yes", True), ("~", None),
])
def test_plain_scalars_read_as_written(text, value):
    assert parse_text(f"v: {text}\n", "<t>").data == {"v": value}


def test_leading_zeros_in_a_state_are_decimal():
    state = state_of("day: 010\nimatinib: {status: taking, dose_mg: 0400}\n"
                     "labs: {alt: {value: 055, uln: 040, unit: U/L}}\n")
    assert state.day == 10 and state.imatinib.dose_mg == 400
    assert state.labs["alt"].value == 55 and state.labs["alt"].uln == 40


def test_a_sexagesimal_lab_value_is_an_error_with_its_key_path():
    with pytest.raises(InputError) as exc:
        state_of("imatinib: {status: taking, dose_mg: 400}\nlabs: {anc: {value: 6:40, unit: 10^9/L}}\n")
    assert exc.value.location.line == 2 and exc.value.location.path == "labs.anc.value"
    assert "6:40" in exc.value.message
