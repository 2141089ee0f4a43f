"""CSV cells are data: read back with the csv module, no cell can start a formula."""

from __future__ import annotations

import csv
import io

import pytest

from patti.core.csvsafe import DANGEROUS_START, csv_bytes, safe_cell

ATTACKS = [
    '=HYPERLINK("http://x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "|calc",
    "%0A",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
]


def read_back(payload: bytes) -> list[list[str]]:
    assert payload.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(payload.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_cell_that_could_be_a_formula_is_neutralised(attack: str) -> None:
    (header, row) = read_back(csv_bytes(["note"], [[attack]]))
    assert header == ["note"]
    assert row == ["'" + attack]
    assert not row[0].startswith(DANGEROUS_START)


@pytest.mark.parametrize("phone", ["+39 0373 123456", "+39 333 1234567", "+41 (0)91 123.45.67"])
def test_phone_numbers_stay_readable(phone: str) -> None:
    (_header, row) = read_back(csv_bytes(["phone"], [[phone]]))
    assert row == [" " + phone]
    assert row[0].strip() == phone


@pytest.mark.parametrize("value", ["-3", "-2,5", "0373 123456", "Auser Ombriano", "", "12"])
def test_ordinary_values_are_kept_as_they_are(value: str) -> None:
    (_header, row) = read_back(csv_bytes(["v"], [[value]]))
    assert row == [value]


def test_none_is_an_empty_cell_and_separators_and_quotes_survive() -> None:
    text = 'Oratorio "San Luigi"; Crema\nvia Roma'
    (_header, row) = read_back(csv_bytes(["a", "b"], [[None, text]]))
    assert row == ["", text]
    assert safe_cell(None) == ""
