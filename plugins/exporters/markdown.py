"""The report as Markdown: the account first, then the figures as tables, then the pact
types' own sections; for a wiki, a repository, or pandoc to turn into a document.

Every text from the store is escaped: a Markdown viewer renders inline HTML
and links, so a pact titled ``<img src=…>`` or ``[x](http://…)`` must reach
the reader as the characters typed, not as markup.
"""

from __future__ import annotations

import re

from patti.core.exporters import ExportContext, Exporter
from patti.core.text import clean_text

from .tables import Table, display, notes, report_tables

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")


def escape(text: str) -> str:
    """``text`` on one line, without control characters, as literal Markdown: every
    character with a meaning is backslashed."""
    return _SPECIAL.sub(r"\\\1", clean_text(text))


def _numeric(table: Table, column: int) -> bool:
    cells = [row[column] for row in table.rows if row[column] is not None]
    return bool(cells) and all(
        isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells
    )


def table_lines(context: ExportContext, table: Table) -> list[str]:
    """A pipe table (numbers right-aligned), or a line saying there is nothing."""
    if not table.rows:
        return [f"_{escape(context.gettext('None.'))}_"]
    aligns = ["---:" if _numeric(table, i) else "---" for i in range(len(table.columns))]
    lines = [
        "| " + " | ".join(escape(c) for c in table.columns) + " |",
        "| " + " | ".join(aligns) + " |",
    ]
    for row in table.rows:
        lines.append("| " + " | ".join(escape(display(context, c)) for c in row) + " |")
    return lines


def render(context: ExportContext) -> bytes:
    """The whole Markdown file, UTF-8."""
    _ = context.gettext
    report = context.report
    out = [
        "# " + escape(_("Annual report {year}: community pacts").format(year=report.year)),
        "",
        "_"
        + escape(
            _("Made with patti on {date}, from the store's data.").format(
                date=display(context, context.created)
            )
        )
        + "_",
        "",
    ]
    for note in notes(context):
        out += [f"> {escape(note)}", ""]
    out += ["## " + escape(_("The year in brief")), ""]
    for paragraph in context.narrative:
        out += [escape(paragraph), ""]
    for table in report_tables(context, sections=False):
        out += [f"## {escape(table.title)}", "", *table_lines(context, table), ""]
    if report.sections:
        out += ["## " + escape(_("Pact type sections")), ""]
    for section in report.sections:
        out += [f"### {escape(section.pact_code)}: {escape(section.title)}", ""]
        out += [f"- {escape(line)}" for line in section.lines]
        if section.figures:
            figures = Table(
                "figures",
                "",
                (_("Figure"), _("Value")),
                tuple((k, v) for k, v in section.figures.items()),
            )
            out += ["", *table_lines(context, figures)]
        out.append("")
    return ("\n".join(out).rstrip("\n") + "\n").encode("utf-8")


EXPORTER = Exporter(
    name="md",
    label_it="Markdown (testo con tabelle)",
    label_en="Markdown (text with tables)",
    extension="md",
    binary=False,
    render=render,
    media_type="text/markdown; charset=utf-8",
)
