"""The report as ONE self-contained HTML page: styles and SVG charts inline, nothing
fetched, so it can be mailed, opened offline or printed as it is.

Every text goes through :func:`html.escape`, the page forbids every external
load in its Content-Security-Policy, and it carries no script.
"""

from __future__ import annotations

import html

from patti.core.exporters import ExportContext, Exporter
from patti.core.text import clean_text

from .charts import Series, bar_chart
from .tables import Table, display, notes, report_tables

STYLE = """
body { font-family: system-ui, sans-serif; color: #1a1a1a; margin: 0; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.meta { color: #555; margin-top: 0; }
.note { border-left: 4px solid #E69F00; background: #fff8e6; padding: .5rem .8rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .5rem; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { max-width: 40rem; display: block; margin: .5rem 0 1.5rem; }
.chart .grid { stroke: #ddd; }
.chart text { font-size: 11px; fill: #333; }
@media print { main { max-width: none; } section { break-inside: avoid; } }
""".strip()

CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"


def _e(text: str) -> str:
    """Text for HTML: one line, no control characters, every markup character escaped."""
    return html.escape(clean_text(text), quote=True)


def table_html(context: ExportContext, table: Table) -> str:
    """A ``<table>`` with numbers right-aligned, or a line saying there is nothing."""
    if not table.rows:
        return f"<p>{_e(context.gettext('None.'))}</p>"
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for cell in row:
            numeric = isinstance(cell, (int, float)) and not isinstance(cell, bool)
            css = ' class="num"' if numeric else ""
            cells.append(f"<td{css}>{_e(display(context, cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def charts_html(context: ExportContext) -> str:
    """Pacts, partners, and new against returning partners, for every year of the store."""
    _ = context.gettext
    reports = context.series.reports
    if not reports:
        return f"<p>{_e(_('No year has data yet.'))}</p>"
    years = [str(r.year) for r in reports]
    highlight = str(context.report.year)

    def number(value: int) -> str:
        return display(context, value)

    charts = [
        (
            _("Pacts per year"),
            [
                Series(_("Pacts activated"), tuple(r.pacts.activated.count for r in reports)),
                Series(_("Pacts active"), tuple(r.pacts.active.count for r in reports)),
            ],
            False,
        ),
        (
            _("Partners involved per year"),
            [Series(_("Partners involved"), tuple(r.partners.involved for r in reports))],
            False,
        ),
        (
            _("New and returning partners per year"),
            [
                Series(_("Returning partners"), tuple(r.partners.returning for r in reports)),
                Series(_("New partners"), tuple(r.partners.new for r in reports)),
            ],
            True,
        ),
    ]
    return "".join(
        f"<h3>{_e(title)}</h3>"
        + bar_chart(title, years, series, number=number, stacked=stacked, highlight=highlight)
        for title, series, stacked in charts
    )


def render(context: ExportContext) -> bytes:
    """The whole page, UTF-8."""
    _ = context.gettext
    report = context.report
    title = _("Annual report {year}: community pacts").format(year=report.year)
    made = _("Made with patti on {date}, from the store's data.").format(
        date=display(context, context.created)
    )
    body = [f"<h1>{_e(title)}</h1>", f'<p class="meta">{_e(made)}</p>']
    body += [f'<p class="note">{_e(note)}</p>' for note in notes(context)]
    body.append(f"<section><h2>{_e(_('The year in brief'))}</h2>")
    body += [f"<p>{_e(paragraph)}</p>" for paragraph in context.narrative]
    body.append("</section>")
    body.append(f"<section><h2>{_e(_('Year by year'))}</h2>{charts_html(context)}</section>")
    for table in report_tables(context, sections=False):
        body.append(f"<section><h2>{_e(table.title)}</h2>{table_html(context, table)}</section>")
    if report.sections:
        body.append(f"<section><h2>{_e(_('Pact type sections'))}</h2>")
        for section in report.sections:
            body.append(f"<article><h3>{_e(section.pact_code)}: {_e(section.title)}</h3>")
            body.append(
                "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in section.lines) + "</ul>"
            )
            if section.figures:
                figures = Table(
                    "figures",
                    "",
                    (_("Figure"), _("Value")),
                    tuple((k, v) for k, v in section.figures.items()),
                )
                body.append(table_html(context, figures))
            body.append("</article>")
        body.append("</section>")
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(context.language)}">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}"/>\n'
        f"<title>{_e(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


EXPORTER = Exporter(
    name="html",
    label_it="Pagina HTML con grafici (un solo file)",
    label_en="HTML page with charts (one file)",
    extension="html",
    binary=False,
    render=render,
    media_type="text/html; charset=utf-8",
)
