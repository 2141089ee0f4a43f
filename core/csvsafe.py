"""CSV that a spreadsheet opens as data, never as formulas.

A cell starting with ``= + - @ | %``, a tab, a carriage return or NUL can
run as a formula or a DDE command when Excel or LibreOffice opens the file
("CSV injection"). Such cells get a leading apostrophe, the convention both
programs show as plain text. Phone numbers are data operators read and dial,
so an international ``+39 0373 …`` keeps its plus and gets a leading space
instead, which spreadsheets also treat as text. Files are UTF-8 with a BOM
and ``;`` separators, what Italian Excel expects.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

DANGEROUS_START = ("=", "+", "-", "@", "|", "%", "\t", "\r", "\0")
_PHONE = re.compile(r"\+[0-9][0-9 ()./-]{4,38}")
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def safe_cell(value: object) -> str:
    """``value`` as a cell no spreadsheet evaluates."""
    if value is None:
        return ""
    text = str(value)
    if not text.startswith(DANGEROUS_START):
        return text
    if _PHONE.fullmatch(text):
        return " " + text
    if _NUMBER.fullmatch(text):
        return text  # a negative number is a number, not a formula
    return "'" + text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A whole CSV file: UTF-8 with BOM, ``;`` separated, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
