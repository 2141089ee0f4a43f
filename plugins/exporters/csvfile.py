"""The report as one CSV file for Italian Excel: UTF-8 with BOM, ``;``, ``31/12/2021``,
decimal comma, and cells no spreadsheet evaluates (:mod:`patti.core.csvsafe`).

One file rather than a zip of several: an operator double-clicks it and
sees everything. Each table is a block: a header row, then its rows, then an
empty row; the first column of every row is the table's title, so a filter
on column A shows one table with its header.
"""

from __future__ import annotations

from datetime import date

from patti.core.csvsafe import csv_bytes
from patti.core.exporters import ExportContext, Exporter

from .tables import Cell, Year, account, report_tables


def cell_text(context: ExportContext, cell: Cell) -> str:
    """A cell the way Italian Excel reads it: numbers without a thousands separator and
    with a decimal comma, dates as DD/MM/YYYY."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return context.gettext("yes") if cell else context.gettext("no")
    if isinstance(cell, (Year, int)):
        return str(int(cell))
    if isinstance(cell, float):
        return f"{cell:.10f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    return cell


def render(context: ExportContext) -> bytes:
    """The whole CSV file."""
    rows: list[list[str]] = []
    for table in (account(context), *report_tables(context)):
        rows.append([table.title, *table.columns])
        rows += [[table.title, *(cell_text(context, c) for c in row)] for row in table.rows]
        rows.append([])
    return csv_bytes(rows[0], rows[1:-1])


EXPORTER = Exporter(
    name="csv",
    label_it="CSV per Excel (tabelle in un solo file)",
    label_en="CSV for Excel (every table in one file)",
    extension="csv",
    binary=False,
    render=render,
    media_type="text/csv; charset=utf-8",
)
