"""The report as an Excel workbook: one sheet per table, real numbers and real dates
(shown DD/MM/YYYY), header row frozen.

openpyxl stores any string that starts with ``=`` as a formula, and one
that looks like an error code (``#N/A``) as an error: every text is forced
to a plain string cell, and one that a spreadsheet would evaluate if edited
(``= + - @ …``) also gets Excel's "quote prefix", so it stays text. Written
in openpyxl's write-only mode, which streams rows instead of keeping every
cell object, and imported only when a workbook is made (it costs ~0.25 s).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from patti.core.csvsafe import DANGEROUS_START
from patti.core.exporters import ExportContext, Exporter

from .tables import Cell, Table, Year, account, display, report_tables

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

DATE_FORMAT = "DD/MM/YYYY"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_TITLE = 31
_MAX_WIDTH = 60


def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters, unique."""
    base = " ".join(_SHEET_FORBIDDEN.sub(" ", title).split()).strip("'") or "Sheet"
    if len(base) > _MAX_SHEET_TITLE:
        base = base[: _MAX_SHEET_TITLE - 1].rstrip() + "…"
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: _MAX_SHEET_TITLE - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, never an error code
        if value.startswith(DANGEROUS_START):
            cell.quotePrefix = True
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=datetime.combine(value, time()))
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, Year):
        return int(value)
    return value


def _write(sheet: WriteOnlyWorksheet, context: ExportContext, table: Table, wrap: bool) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(table.columns):
        longest = max([len(column), *(len(display(context, row[index])) for row in table.rows)])
        width = 100 if wrap else min(max(longest + 2, 8), _MAX_WIDTH)
        # Write-only sheets do have column_dimensions (before the first row); the stubs miss it.
        dimensions: Any = sheet.column_dimensions  # type: ignore[attr-defined]
        dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = [_cell(sheet, value) for value in row]
        if wrap:
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append(cells)


def render(context: ExportContext) -> bytes:
    """The whole workbook (.xlsx)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.creator = "patti"
    book.properties.title = context.gettext("Annual report {year}: community pacts").format(
        year=context.report.year
    )
    taken: set[str] = set()
    for table in (account(context), *report_tables(context)):
        sheet = book.create_sheet(sheet_title(table.title, taken))
        _write(sheet, context, table, wrap=table.key == "account")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXPORTER = Exporter(
    name="xlsx",
    label_it="Cartella di lavoro Excel (un foglio per tabella)",
    label_en="Excel workbook (one sheet per table)",
    extension="xlsx",
    binary=True,
    render=render,
    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
