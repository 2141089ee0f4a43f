"""The report as titled tables of typed cells: what Markdown, HTML, CSV and Excel all show.

One function decides which figures a file holds and what they are called,
so the four formats cannot disagree; each renderer only decides how a cell
is written (``1.259`` in an Italian page, ``1259`` in a CSV, a number in
Excel). Every text cell is cleaned of control characters here, once: a
spreadsheet library refuses them and a terminal would act on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.numbers import format_decimal

from patti.core.exporters import ExportContext
from patti.core.model import LabelledEnum, PactStatus, PartnerKind
from patti.core.reports import AnnualReport, PactGroup, PartnerRef
from patti.core.text import clean_text


class Year(int):
    """A year: a number that is written without a thousands separator."""


Cell = str | bool | int | float | date | None


@dataclass(frozen=True)
class Table:
    """One titled table; ``key`` names it whatever the language (CSV section, tests)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def clean(value: Cell) -> Cell:
    """Text cells without control characters, on one line; other cells as they are."""
    return clean_text(value) if isinstance(value, str) else value


def _table(key: str, title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Table:
    return Table(
        key,
        clean_text(title),
        tuple(clean_text(c) for c in columns),
        tuple(tuple(clean(c) for c in row) for row in rows),
    )


def enum_label(context: ExportContext, enum: type[LabelledEnum], value: str) -> str:
    """A status or kind in the file's language (``.label`` follows the interface's)."""
    return enum.label_of(value, context.translations)


def type_label(context: ExportContext, name: str) -> str:
    pact_type = context.plugins.pact_type(name) if context.plugins is not None else None
    return context.pick(pact_type.label_it, pact_type.label_en) if pact_type else name


def has_data(report: AnnualReport) -> bool:
    """Whether the store holds anything for the report's year."""
    return bool(
        report.pacts.registered.count
        or report.pacts.active.count
        or report.activities.total
        or report.partners.involved
    )


def notes(context: ExportContext) -> list[str]:
    """What a reader must know before the figures: no data, pseudonyms, missing sections."""
    _ = context.gettext
    report = context.report
    found = []
    if not has_data(report):
        found.append(
            _("This store holds nothing for {year}: every figure is zero.").format(year=report.year)
        )
    if context.pseudonymised:
        found.append(
            _(
                "Pseudonymised: contact persons appear as “Person N”; no name, e-mail or phone "
                "number of a person is in this file."
            )
        )
    found.extend(report.failures)
    return [clean_text(n) for n in found]


def account(context: ExportContext) -> Table:
    """The notes and the account's paragraphs, one a row: the text of a spreadsheet."""
    _ = context.gettext
    texts = [(n,) for n in notes(context)] + [(p,) for p in context.narrative]
    return _table("account", _("The year in brief"), (_("Text"),), texts)


def report_tables(context: ExportContext, *, sections: bool = True) -> list[Table]:
    """Every table of the year's report; ``sections=False`` leaves out the two tables of
    the pact types' sections (Markdown and HTML write those as text)."""
    tables = [
        _figures(context),
        _network(context),
        _pacts(context),
        _pacts_by(context),
        _partners(context),
        _partner_kinds(context),
        _activity_kinds(context),
        _indicators(context),
        _coverage(context),
        _years(context),
    ]
    if sections:
        tables += _sections(context)
    return tables


def _figures(context: ExportContext) -> Table:
    _ = context.gettext
    r = context.report
    p, a, i = r.partners, r.activities, r.indicators
    rows: list[tuple[Cell, ...]] = [
        (_("Pacts registered"), r.pacts.registered.count),
        (_("Pacts activated"), r.pacts.activated.count),
        (_("Pacts active"), r.pacts.active.count),
        (_("Pacts concluded"), r.pacts.concluded.count),
        (_("Partners involved"), p.involved),
        (_("Partners involved in {year}").format(year=p.previous_year), p.previous_involved),
        (_("Growth of partners involved (%)"), p.growth_percent),
        (_("New partners"), p.new),
        (_("New partners for the first time"), p.first_time),
        (_("Returning partners"), p.returning),
        (_("Partners that did not continue"), p.lost),
        (_("Informal groups"), p.informal_groups),
        (_("Informal groups (% of partners)"), p.informal_percent),
        (_("Activities"), a.total),
        (_("Activities done"), a.done),
        (_("Activities planned"), a.planned),
        (_("Activities cancelled"), a.cancelled),
        (_("Presences at activities done"), a.attendance),
        (_("Audience groups reached"), a.audience_groups),
        (_("People reached (estimate)"), a.people_reached),
        (_("Indicators"), i.total),
        (_("Indicators with a target"), i.with_target),
        (_("Indicators that reached their target"), i.reached),
        (_("Indicators not yet measured"), i.missing),
    ]
    return _table(
        "figures", _("Figures of {year}").format(year=r.year), (_("Figure"), _("Value")), rows
    )


def _names(refs: Iterable[PartnerRef]) -> str:
    return ", ".join(r.name for r in refs)


def _network(context: ExportContext) -> Table:
    _ = context.gettext
    n = context.network_figures
    rows: list[tuple[Cell, ...]] = [
        (_("Partners in the network"), n.nodes),
        (_("Ties between partners"), n.ties),
        (_("Density"), n.density),
        (_("Groups (connected components)"), n.components),
        (_("Partners with no tie"), n.isolated),
        (_("Ties across zones"), n.ties_across_zones),
        (_("New ties"), n.new_ties),
        (_("Ties lost"), n.lost_ties),
        (_("Partners that hold a group together"), _names(n.articulation_points)),
        (
            _("Brokers (linking groups that would hardly meet)"),
            _names(b.partner for b in n.brokers),
        ),
    ]
    return _table("network", _("Partner network"), (_("Figure"), _("Value")), rows)


def _iso(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _pacts(context: ExportContext) -> Table:
    _ = context.gettext
    pacts = context.report.pacts
    activated = {p.id for p in pacts.activated.pacts}
    active = {p.id for p in pacts.active.pacts}
    concluded = {p.id for p in pacts.concluded.pacts}
    listed = {p.id: p for p in (*pacts.registered.pacts, *pacts.active.pacts)}
    dates = {
        pid: (_iso(doc.get("start")), _iso(doc.get("end")))
        for pid, doc in context.store.pacts.raw_items()
        if pid in listed
    }
    rows = []
    for ref in sorted(listed.values(), key=lambda p: (p.code, p.id)):
        start, end = dates.get(ref.id, (None, None))
        rows.append(
            (
                ref.code,
                ref.title,
                type_label(context, ref.type),
                enum_label(context, PactStatus, ref.status),
                Year(ref.year) if ref.year is not None else None,
                start,
                end,
                ref.id in activated,
                ref.id in active,
                ref.id in concluded,
            )
        )
    columns = (
        _("Code"),
        _("Title"),
        _("Type"),
        _("Status"),
        _("Activated in"),
        _("Start"),
        _("End"),
        _("Activated this year"),
        _("Active this year"),
        _("Concluded this year"),
    )
    return _table("pacts", _("Pacts"), columns, rows)


def _pacts_by(context: ExportContext) -> Table:
    _ = context.gettext
    r = context.report
    groups = (r.pacts.registered, r.pacts.activated, r.pacts.active)
    rows: list[tuple[Cell, ...]] = []

    def add(dimension: str, counts: str, label: Callable[[str], str]) -> None:
        keys = sorted({k for g in groups for k in getattr(g, counts)})
        named = sorted(((label(k), k) for k in keys), key=lambda t: t[0].casefold())
        for name, key in named:
            rows.append((dimension, name, *(_count(g, counts, key) for g in groups)))

    add(_("Type"), "by_type", lambda k: type_label(context, k))
    add(_("Status"), "by_status", lambda k: enum_label(context, PactStatus, k))
    add(_("Zone"), "by_zone", r.labels.zone)
    add(_("Theme"), "by_theme", lambda k: r.labels.theme(k, context.language))
    columns = (_("By"), _("Name"), _("Registered"), _("Activated"), _("Active"))
    return _table("pacts_by", _("Pact breakdown"), columns, rows)


def _count(group: PactGroup, counts: str, key: str) -> int:
    found: dict[str, int] = getattr(group, counts)
    return found.get(key, 0)


def _partners(context: ExportContext) -> Table:
    _ = context.gettext
    p = context.report.partners
    new = {r.id for r in p.new_partners}
    rows = []
    for ref in p.involved_partners:
        change = _("new") if ref.id in new else _("returning")
        rows.append((ref.name, enum_label(context, PartnerKind, ref.kind), True, change))
    for ref in p.lost_partners:
        rows.append((ref.name, enum_label(context, PartnerKind, ref.kind), False, _("lost")))
    rows.sort(key=lambda row: str(row[0]).casefold())
    columns = (
        _("Partner"),
        _("Kind"),
        _("Involved in {year}").format(year=context.report.year),
        _("Against {year}").format(year=p.previous_year),
    )
    return _table("partners", _("Partners"), columns, rows)


def _partner_kinds(context: ExportContext) -> Table:
    _ = context.gettext
    by_kind = context.report.partners.by_kind
    rows = sorted(
        ((enum_label(context, PartnerKind, k), n) for k, n in by_kind.items()),
        key=lambda row: row[0].casefold(),
    )
    columns = (_("Kind"), _("Partners involved"))
    return _table("partner_kinds", _("Partners by kind"), columns, rows)


def _activity_kinds(context: ExportContext) -> Table:
    _ = context.gettext
    labels = context.report.labels
    rows = [
        (labels.kind(k, context.language) if k else _("(no kind)"), n)
        for k, n in context.report.activities.by_kind.items()
    ]
    columns = (_("Kind"), _("Activities done or planned"))
    return _table("activity_kinds", _("Activities by kind"), columns, rows)


def _indicators(context: ExportContext) -> Table:
    _ = context.gettext
    rows = [
        (line.pact_code, line.label or line.key, line.unit, line.target, line.actual, line.reached)
        for line in context.report.indicators.lines
    ]
    columns = (_("Pact"), _("Indicator"), _("Unit"), _("Target"), _("Actual"), _("Reached"))
    return _table("indicators", _("Indicators"), columns, rows)


def _coverage(context: ExportContext) -> Table:
    _ = context.gettext
    r = context.report
    c = r.coverage
    rows: list[tuple[Cell, ...]] = []
    zones = [(r.labels.zone(z), True) for z in c.zones_covered]
    zones += [(r.labels.zone(z), False) for z in c.zones_without_pact]
    themes = [(r.labels.theme(t, context.language), True) for t in c.themes_covered]
    themes += [(r.labels.theme(t, context.language), False) for t in c.themes_without_pact]
    for kind, names in ((_("Zone"), zones), (_("Theme"), themes)):
        rows += [(kind, name, covered) for name, covered in sorted(names, key=_casefold_first)]
    columns = (_("By"), _("Name"), _("With an active pact"))
    return _table("coverage", _("Zones and themes"), columns, rows)


def _casefold_first(item: tuple[str, bool]) -> str:
    return item[0].casefold()


def _years(context: ExportContext) -> Table:
    _ = context.gettext
    rows = [
        (
            Year(r.year),
            r.pacts.activated.count,
            r.pacts.active.count,
            r.partners.involved,
            r.partners.new,
            r.partners.returning,
            r.partners.lost,
            r.activities.done,
            r.activities.attendance,
            r.activities.people_reached,
        )
        for r in context.series.reports
    ]
    columns = (
        _("Year"),
        _("Pacts activated"),
        _("Pacts active"),
        _("Partners involved"),
        _("New partners"),
        _("Returning partners"),
        _("Partners that did not continue"),
        _("Activities done"),
        _("Presences at activities done"),
        _("People reached (estimate)"),
    )
    return _table("years", _("Year by year"), columns, rows)


def _sections(context: ExportContext) -> list[Table]:
    _ = context.gettext
    found = context.report.sections
    lines = [(s.pact_code, s.title, line) for s in found for line in s.lines]
    figures = [(s.pact_code, s.title, k, v) for s in found for k, v in s.figures.items()]
    return [
        _table(
            "section_lines",
            _("Pact type sections"),
            (_("Pact"), _("Section"), _("Text")),
            lines,
        ),
        _table(
            "section_figures",
            _("Pact type figures"),
            (_("Pact"), _("Section"), _("Figure"), _("Value")),
            figures,
        ),
    ]


def display(context: ExportContext, cell: Cell) -> str:
    """A cell as a reader of the file's language writes it: ``1.259``, ``31/12/2021``,
    ``sì``/``no`` in Italian; ``1,259``, ``2021-12-31``, ``yes``/``no`` in English."""
    _ = context.gettext
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return _("yes") if cell else _("no")
    if isinstance(cell, Year):
        return str(int(cell))
    if isinstance(cell, (int, float)):
        pattern = "#,##0" if isinstance(cell, int) else "#,##0.####"
        return format_decimal(cell, format=pattern, locale=context.language)
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y") if context.language == "it" else cell.isoformat()
    return cell
