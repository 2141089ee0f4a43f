"""``patti report`` and ``patti network``: the annual report and the partner network as
files, in every format a plugin registers.

The format choices are read from the plugin host when the option is
parsed, not when the command tree is built: a broken exporter plugin then
costs one line on ``patti report``, never the whole command line. Import
this module inside :func:`patti.tui.cli.build_cli` (it imports that module).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from patti.core.errors import PattiError
from patti.core.exporters import (
    ExportContext,
    Exporter,
    Subject,
    export,
    export_context,
    exporters_for,
    pseudonymised_store,
)
from patti.core.formats import format_kilobytes
from patti.core.i18n import _
from patti.core.storage import atomic_write_bytes
from patti.core.store import Store
from patti.tui.cli import Session, echo_json, echo_table, fail, say, session

__all__ = ["FIRST_YEAR", "LAST_YEAR", "ExportFormat", "report_commands"]

#: The years a pact can be activated in (``Pact.year``): the years worth a report.
FIRST_YEAR, LAST_YEAR = 1990, 2200


if TYPE_CHECKING:
    _ParamType = click.ParamType[Exporter]
else:  # click < 8.2 has no generic ParamType
    _ParamType = click.ParamType


class ExportFormat(_ParamType):
    """``--format``: the name of a registered exporter of one subject, looked up in the
    session's plugin host when the command line is parsed."""

    name = "format"

    def __init__(self, subject: Subject) -> None:
        self.subject: Subject = subject

    def _found(self, ctx: click.Context | None) -> dict[str, Exporter]:
        found = ctx.find_object(Session) if ctx is not None else None
        return exporters_for(found.plugins if found is not None else None, self.subject)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        try:
            names = list(self._found(ctx or click.get_current_context(silent=True)))
        except PattiError:
            names = []
        return f"[{'|'.join(names)}]" if names else "FORMAT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Exporter:
        if isinstance(value, Exporter):
            return value
        found = self._found(ctx)
        if not found:
            self.fail(
                _(
                    "no export format is available: the exporters plugin is not loaded "
                    "(--no-plugins, PATTI_LOAD_PLUGINS or PATTI_DISABLE_PLUGINS)."
                ),
                param,
                ctx,
            )
        if value not in found:
            self.fail(
                _("{value!r} is not a format: use one of {names}.").format(
                    value=value, names=", ".join(found)
                ),
                param,
                ctx,
            )
        return found[value]


def _year(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and not FIRST_YEAR <= value <= LAST_YEAR:
        raise click.BadParameter(
            _("{year} is not a year of community pacts: use {first} to {last}.").format(
                year=value, first=FIRST_YEAR, last=LAST_YEAR
            )
        )
    return value


_output = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write to this file (default: standard output, for text formats)."),
)
_pseudonymise = click.option(
    "--pseudonymise",
    is_flag=True,
    help=_(
        "Name no person: contact persons become “Person N”, and their names, e-mails "
        "and phone numbers are written nowhere in the output."
    ),
)


def _write(exporter: Exporter, context: ExportContext, output: Path | None) -> None:
    """Render and write to ``output`` atomically (a failed write leaves the old file), or
    to standard output."""
    payload = export(exporter, context)
    if output is None:
        click.echo(payload, nl=False)
        return
    atomic_write_bytes(output, payload)
    say(
        _("Written {path} ({format}, {size} KB).").format(
            path=output, format=exporter.name, size=format_kilobytes(len(payload))
        )
    )


def _check_output(s: Session, exporter: Exporter, output: Path | None) -> None:
    """Refuse before any work: a spreadsheet on a terminal, or a file over the store."""
    if output is None and exporter.binary:
        fail(
            _("{format} is not text: give --output FILE.{ext}").format(
                format=exporter.name, ext=exporter.extension
            )
        )
    if output is not None and output.expanduser().resolve() == s.path().expanduser().resolve():
        fail(_("--output names the store itself: choose another file."))


def report_commands(cli: click.Group) -> None:
    """Add ``report`` and ``network`` to ``cli``; a command already there is kept."""
    if "report" not in cli.commands:
        cli.add_command(_report_command())
    if "network" not in cli.commands:
        cli.add_command(_network_command())


def _report_command() -> click.Command:
    @click.command(
        "report",
        help=_(
            "Write the annual report of a year: the account, the figures, the charts and "
            "the pact types' sections (md, html, csv, xlsx, json, or a plugin's format)."
        ),
    )
    @click.option(
        "--year",
        type=int,
        required=True,
        callback=_year,
        help=_("The year to report on."),
    )
    @click.option(
        "--format",
        "exporter",
        type=ExportFormat("report"),
        default="md",
        show_default=True,
        help=_("The file format."),
    )
    @_output
    @_pseudonymise
    def report(year: int, exporter: Exporter, output: Path | None, pseudonymise: bool) -> None:
        s = session()
        _check_output(s, exporter, output)
        registry = s.open(write=False)
        context = export_context(
            registry.store,
            year,
            pseudonymise=pseudonymise,
            plugins=s.plugins,
            created=registry.today(),
        )
        _write(exporter, context, output)

    return report


def _network_command() -> click.Command:
    @click.command(
        "network",
        help=_(
            "The partner network of a year (or of all years): its figures, one partner's "
            "ties (--partner), or a file for Gephi and yEd (--format graphml)."
        ),
    )
    @click.option(
        "--year",
        type=int,
        callback=_year,
        help=_("The year (default: all years together)."),
    )
    @click.option(
        "--format",
        "exporter",
        type=ExportFormat("network"),
        help=_("Write the network in this format instead of showing its figures."),
    )
    @_output
    @click.option("--partner", type=int, help=_("Show this partner's pacts and ties."))
    @_pseudonymise
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def network(
        year: int | None,
        exporter: Exporter | None,
        output: Path | None,
        partner: int | None,
        pseudonymise: bool,
        as_json_: bool,
    ) -> None:
        s = session()
        if exporter is not None and (partner is not None or as_json_):
            fail(_("--format writes the whole network: leave out --partner and --json."))
        if output is not None and exporter is None:
            fail(_("--output needs --format (graphml or json)."))
        if exporter is not None:
            _check_output(s, exporter, output)
        registry = s.open(write=False)
        if exporter is not None:
            context = export_context(
                registry.store,
                year,
                pseudonymise=pseudonymise,
                plugins=s.plugins,
                created=registry.today(),
            )
            _write(exporter, context, output)
            return
        store = pseudonymised_store(registry.store) if pseudonymise else registry.store
        if partner is not None:
            _show_partner(store, partner, year, as_json_)
        else:
            _show_figures(store, year, as_json_)

    return network


def _show_figures(store: Store, year: int | None, as_json_: bool) -> None:
    from patti.core.network import network_figures

    figures = network_figures(store, year)
    if as_json_:
        echo_json(figures.as_json())
        return
    title = (
        _("Partner network of {year}").format(year=year)
        if year is not None
        else _("Partner network, all years")
    )
    say(title)
    # The same words as the exported tables, so the two read alike (and translate once).
    rows: list[tuple[str, Any]] = [
        (_("Partners in the network"), figures.nodes),
        (_("Ties between partners"), figures.ties),
        (_("Density"), figures.density),
        (_("Groups (connected components)"), figures.components),
        (_("Partners with no tie"), figures.isolated),
        (_("Ties across zones"), figures.ties_across_zones),
    ]
    if figures.new_ties is not None:
        rows += [(_("New ties"), figures.new_ties), (_("Ties lost"), figures.lost_ties)]
    echo_table([_("Figure"), _("Value")], rows)
    if figures.brokers:
        say("")
        echo_table(
            [_("Brokers (linking groups that would hardly meet)"), _("Betweenness")],
            [(b.partner.name, b.betweenness) for b in figures.brokers],
        )
    if figures.strongest_ties:
        say("")
        echo_table(
            [_("Partner"), _("Partner"), _("Weight"), _("Pacts"), _("Activities")],
            [(t.a.name, t.b.name, t.weight, t.pacts, t.activities) for t in figures.strongest_ties],
        )


def _show_partner(store: Store, partner: int, year: int | None, as_json_: bool) -> None:
    from patti.core.network import ego_view

    view = ego_view(store, partner, year)
    if as_json_:
        echo_json(view.as_json())
        return
    say(f"{view.partner.name} ({year if year is not None else _('all years')})")
    held = _("yes") if view.articulation_point else _("no")
    echo_table(
        [_("Figure"), _("Value")],
        [
            (_("Activities"), view.activities),
            (_("Holds a group together"), held),
            (_("Betweenness"), view.betweenness),
        ],
    )
    say("")
    echo_table(
        [_("Pact"), _("Title"), _("Roles")],
        [(p.pact.code, p.pact.title, ", ".join(p.roles)) for p in view.pacts],
    )
    say("")
    echo_table(
        [_("Partner"), _("Weight"), _("Pacts"), _("Activities")],
        [(t.b.name, t.weight, t.pacts, t.activities) for t in view.ties],
    )
