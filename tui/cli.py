"""The ``patti`` command line.

Every operation of the TUI is also a command, for scripts and for operators
who prefer a shell. Commands are built by :func:`build_cli` after the
language is chosen, so help texts are translated too. Bad input anywhere
gives one line on stderr and exit code 2, and leaves the store unchanged.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import orjson

from patti.core import __version__
from patti.core.dates import format_date, format_datetime, parse_date
from patti.core.errors import ForeignFileError, NewerSchemaError, PattiError, StoreCorruptError
from patti.core.formats import format_size, record_counts
from patti.core.i18n import LANGUAGES, _, ngettext, set_language
from patti.core.model import ActivityStatus, PactStatus, PartnerKind, Record
from patti.core.plugins import PluginHost, get_plugin_host, set_plugin_host
from patti.core.services import ActivityQuery, PactQuery, PartnerQuery, Registry
from patti.core.store import Store, default_store_path
from patti.core.text import clean_text

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_PROBLEMS = 1


@dataclass
class Session:
    """What every command shares: where the store is, the plugins, and the store once opened."""

    db: Path | None
    lang: str
    plugins: PluginHost | None = None
    _store: Store | None = field(default=None, repr=False)

    def path(self) -> Path:
        return self.db if self.db is not None else default_store_path()

    def open(self, *, write: bool) -> Registry:
        """The services on the store; readers never take the lock, so they work beside a
        running TUI."""
        return Registry(self.open_store(write=write), plugins=self.plugins)

    def open_store(self, *, write: bool, take_lock: bool = False) -> Store:
        """Open the store once per command. A writer takes the lock and makes the day's
        automatic backup; ``take_lock`` lets a reader hold the lock when it is free."""
        if self._store is None:
            path = self.path()
            if not write and not path.exists():
                fail(
                    _("{path} does not exist: give the right --db, or add something first.").format(
                        path=path
                    )
                )
            try:
                self._store = Store.open(path, readonly=not (write or take_lock))
            except (StoreCorruptError, ForeignFileError) as exc:
                raise type(exc)(f"{exc} {_offer_backup(path)}".strip()) from exc
            click.get_current_context().call_on_close(self.close)
            if write:
                _auto_backup(self._store)
            if self.plugins is not None:
                self.plugins.startup(self._store)
        if write and self._store.readonly:
            fail(self._store.readonly_reason() or _("The store is open read-only."))
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _auto_backup(store: Store) -> None:
    """The day's automatic backup; a failure is said on stderr and the command goes on."""
    from patti.core.backup import auto_backup

    try:
        auto_backup(store)
    except PattiError as exc:
        click.echo(
            _("patti: warning: no automatic backup today: {reason}").format(
                reason=clean_text(str(exc))
            ),
            err=True,
        )


def _offer_backup(path: Path) -> str:
    """Point at the newest backup that verifies, for a store file that cannot be opened."""
    from patti.core.backup import iter_backups

    good = next((b for b in iter_backups(path) if b.ok), None)
    if good is None:
        return ""
    return _("The newest backup that verifies is {file}: patti --db {store} restore {file}").format(
        file=good.path, store=path
    )


def fail(message: str) -> NoReturn:
    """Stop with one line on stderr and exit code 2."""
    raise click.exceptions.Exit(_print_error(message))


def _print_error(message: str) -> int:
    # Messages can repeat what was typed: clean them so no escape sequence reaches the terminal.
    click.echo(_("patti: error: {message}").format(message=clean_text(message)), err=True)
    return EXIT_BAD_INPUT


class PattiGroup(click.Group):
    """A group that turns every expected failure into one line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:  # raised, not returned, by some click versions
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo(_("Aborted."), err=True)
            sys.exit(1)
        except click.ClickException as exc:
            sys.exit(_print_error(exc.format_message()))
        except PattiError as exc:
            sys.exit(_print_error(str(exc)))
        # Without standalone mode click returns the exit code of ``ctx.exit(n)``.
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PattiError as exc:
            raise click.exceptions.Exit(_print_error(str(exc))) from exc


def session() -> Session:
    return click.get_current_context().ensure_object(Session)


# -- output -------------------------------------------------------------------


#: What orjson leaves unescaped but a terminal would act on: DEL, C1, bidi controls.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def echo_json(data: Any) -> None:
    """JSON for scripts; characters a terminal would act on are ``\\u`` escapes (the data
    itself is unchanged: any JSON reader gets them back)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    click.echo(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def say(message: str) -> None:
    """One line for the operator, cleaned (it may hold a path or a name from the store);
    its indentation is kept."""
    indent = len(message) - len(message.lstrip(" "))
    click.echo(" " * indent + clean_text(message))


def as_json(record: Record) -> dict[str, Any]:
    return record.model_dump(mode="json")


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table: readable in a terminal, greppable in a script."""
    cells = [[clean_text(str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, min(len(c), 60)) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(line.rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        shown = [
            (c if len(c) <= 60 else c[:59] + "…").ljust(w) for c, w in zip(row, widths, strict=True)
        ]
        click.echo("  ".join(shown).rstrip())


def _date_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _choice(enum: Any) -> click.Choice[str]:
    return click.Choice([m.value for m in enum], case_sensitive=False)


def _members(values: Sequence[str]) -> list[dict[str, Any]]:
    """``--member 12:lead`` (role defaults to ``partner``)."""
    members = []
    for value in values:
        partner, _sep, role = value.partition(":")
        if not partner.strip().isdigit():
            raise click.BadParameter(
                _("{value!r}: use PARTNER_ID or PARTNER_ID:ROLE, e.g. 12:lead").format(value=value),
                param_hint="--member",
            )
        members.append({"partner_id": int(partner), "role": role.strip() or "partner"})
    return members


def _option_set(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Options shared by ``add`` and ``edit``: applied in the order they are listed."""

    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


def _changes(**options: Any) -> dict[str, Any]:
    """Only the options the operator gave: ``None`` and empty tuples mean "leave as is"."""
    return {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in options.items()
        if v not in (None, ())
    }


# -- the command tree ---------------------------------------------------------------


def build_cli(host: PluginHost | None = None) -> click.Group:
    """Build the command tree with help texts in the active language.

    ``host`` is the plugin host whose ``register_commands`` hooks extend the
    tree (``None``: the process-wide one; plugins are loaded here, once).
    """
    host = host if host is not None else get_plugin_host()

    @click.group(
        cls=PattiGroup,
        invoke_without_command=True,
        help=_("patti: the workbench for community pacts (Patti di Comunità)."),
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    @click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="PATTI_DB",
        help=_("The store file (default: patti.json in your user data folder)."),
    )
    @click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        help=_("Language: it or en (default: PATTI_LANG, then LANG, then Italian)."),
    )
    @click.option(
        "--no-plugins", is_flag=True, help=_("Load no plugins (not even the built-in ones).")
    )
    @click.version_option(__version__, "--version", prog_name="patti")
    @click.pass_context
    def cli(ctx: click.Context, db: Path | None, lang: str | None, no_plugins: bool) -> None:
        ctx.obj = Session(db=db, lang=set_language(lang), plugins=None if no_plugins else host)
        if ctx.invoked_subcommand is None:
            _open_tui(ctx.obj, ctx.obj.path())

    # -- demo ---------------------------------------------------------------------

    @cli.command(help=_("Open the demo store of Crema (building it first if needed)."))
    @click.option("--no-open", is_flag=True, help=_("Only build the demo and print its path."))
    def demo(no_open: bool) -> None:
        from patti.core.demo import ensure_demo

        s = session()
        path = s.db if s.db is not None else demo_store_path()
        store = Store.open(path)
        try:
            if store.readonly:
                fail(store.readonly_reason() or "")
            ensure_demo(store)
        finally:
            store.close()
        if no_open:
            say(str(path))
        else:
            _open_tui(s, path)

    # -- check ----------------------------------------------------------------------

    @cli.command(help=_("Check the store's integrity (references, schema); exit 1 on problems."))
    def check() -> None:
        registry = session().open(write=False)
        problems = registry.check()
        for problem in problems:
            say(problem)
        if problems:
            message = ngettext("{n} problem found.", "{n} problems found.", len(problems))
            click.echo(message.format(n=len(problems)), err=True)
            raise click.exceptions.Exit(EXIT_PROBLEMS)
        say(_("No problems found in {path}.").format(path=registry.store.path))

    _partner_commands(cli)
    _pact_commands(cli)
    _activity_commands(cli)
    _plugin_commands(cli)
    _backup_commands(cli)
    _privacy_commands(cli)
    from patti.tui.cli_reports import report_commands  # here: it imports this module

    report_commands(cli)
    if host.enabled:
        _plugin_cli_commands(cli, host)
    return cli


def _plugin_cli_commands(cli: click.Group, host: PluginHost) -> None:
    """Each plugin's commands, kept only if its hook did not fail, and run so that a
    plugin's bug disables it and prints one line instead of a traceback."""
    for plugin, function in host.implementations("register_commands"):
        before = dict(cli.commands)
        try:
            host.run_plugin(plugin, "register_commands", function, cli=cli)
        except PattiError:
            cli.commands.clear()
            cli.commands.update(before)
            continue
        for name in cli.commands.keys() - before.keys():
            _guard_command(cli.commands[name], host, plugin)


def _guard_command(command: click.Command, host: PluginHost, plugin: str) -> None:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _guard_command(sub, host, plugin)
    callback = command.callback
    if callback is None:
        return

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        return host.run_plugin(plugin, f"command {command.name}", callback, *args, **kwargs)

    command.callback = guarded


def _backup_commands(cli: click.Group) -> None:
    from patti.core import backup as backups_

    size_text, counts_text = format_size, record_counts

    @cli.command(help=_("Write a backup of the store (default: its backups folder)."))
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help=_("Where to write it instead."),
    )
    def backup(output: Path | None) -> None:
        store = session().open_store(write=False, take_lock=True)
        written = backups_.write_backup(store, output)
        say(
            _("Backup written and verified: {path} ({counts}).").format(
                path=written, counts=counts_text(backups_.read_backup(written).counts())
            )
        )

    @cli.command(help=_("List the store's backups, and whether each verifies."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def backups(as_json_: bool) -> None:
        path = session().path()
        listed = backups_.list_backups(path)
        if as_json_:
            echo_json(
                [
                    {
                        "path": str(b.path),
                        "size": b.size,
                        "created_at": b.created_at.isoformat() if b.created_at else None,
                        "kind": b.kind or "manual",
                        "verifies": b.ok,
                        "problem": b.problem,
                    }
                    for b in listed
                ]
            )
            return
        if not listed:
            say(_("No backups yet in {folder}.").format(folder=backups_.backups_folder(path)))
            return
        kinds = {"auto": _("automatic"), "before-restore": _("before a restore")}
        echo_table(
            [_("File"), _("Created"), _("Size"), _("Kind"), _("Verifies")],
            [
                (
                    b.path.name,
                    backups_.describe_listing(b),
                    size_text(b.size),
                    kinds.get(b.kind, _("manual")),
                    _("yes") if b.ok else _("NO"),
                )
                for b in listed
            ],
        )
        for b in listed:
            if b.problem:
                click.echo(clean_text(b.problem), err=True)

    @cli.command(help=_("Check that a backup file is whole and can be restored."))
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def verify(file: Path) -> None:
        checked = backups_.read_backup(file)
        say(
            _(
                "{path} verifies: schema {schema}, written by patti {version} on {date}; {counts}."
            ).format(
                path=file,
                schema=checked.schema_version,
                version=clean_text(checked.app_version),
                date=format_datetime(checked.created_at.astimezone()),
                counts=counts_text(checked.counts()),
            )
        )

    @cli.command(help=_("Replace the store's content with a backup (the current one is kept)."))
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help=_("Only say what would change."))
    def restore(file: Path, dry_run: bool) -> None:
        s = session()
        path = s.path()
        try:
            store = s.open_store(write=True)
        except (StoreCorruptError, ForeignFileError, NewerSchemaError):
            # "The damaged file is kept as …" below says what happened to it.
            result = backups_.restore_damaged(path, file, dry_run=dry_run)
        else:
            result = backups_.restore(store, file, dry_run=dry_run)
        labels = {"partners": _("Partners"), "pacts": _("Pacts"), "activities": _("Activities")}
        for table, label in labels.items():
            before = result.before.get(table)
            line = _("{table}: {before} → {after}").format(
                table=label,
                before="?" if before is None else before,
                after=result.after[table],
            )
            if table in result.changed:
                n = result.changed[table]
                line += " " + ngettext("({n} record differs)", "({n} records differ)", n).format(
                    n=n
                )
            click.echo(line)
        if dry_run:
            click.echo(_("Dry run: nothing was changed."))
            return
        if result.safety_backup:
            say(_("The store as it was is kept in {path}.").format(path=result.safety_backup))
        if result.set_aside:
            say(_("The damaged file is kept as {path}.").format(path=result.set_aside))
        say(_("Restored {path} from {file}.").format(path=path, file=file))


def _privacy_commands(cli: click.Group) -> None:
    from patti.core import privacy

    @cli.group("privacy", help=_("Contact persons' data: export, erase, retention due."))
    def privacy_() -> None:
        pass

    @privacy_.command("export", help=_("Everything held about one person, as JSON."))
    @click.argument("person")
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help=_("Write to this file instead of printing."),
    )
    def export(person: str, output: Path | None) -> None:
        found = privacy.find_person(session().open(write=False), person)
        payload = orjson.dumps(found.as_json(), option=orjson.OPT_INDENT_2)
        if output is None:
            click.echo(payload.decode())
            return
        from patti.core.storage import atomic_write_bytes

        atomic_write_bytes(output.expanduser(), payload + b"\n")
        say(_("Written {path}.").format(path=output))

    @privacy_.command("erase", help=_("Remove one person from the store and redact mentions."))
    @click.argument("person")
    def erase(person: str) -> None:
        done = privacy.erase_person(session().open(write=True), person)
        click.echo(
            ngettext(
                "Removed {n} contact record; redacted {m} mentions.",
                "Removed {n} contact records; redacted {m} mentions.",
                done.contacts,
            ).format(n=done.contacts, m=len(done.redacted))
        )
        for left in done.left:
            click.echo(
                _("Still named in {table}/{id} {field}: edit it by hand.").format(
                    table=left.table, id=left.record_id, field=left.field
                )
            )
        click.echo(
            _(
                "Backups made before now still hold this person's data until rotation "
                "deletes them (see 'patti backups')."
            )
        )

    @privacy_.command("due", help=_("Contact persons past their retention date."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def due(as_json_: bool) -> None:
        found = privacy.retention_due(session().open(write=False))
        if as_json_:
            echo_json(
                [
                    {
                        "person": f"{h.partner_id}/{h.contact.key}",
                        "partner": h.partner_name,
                        "name": h.contact.name,
                        "retention_until": h.contact.retention_until,
                    }
                    for h in found
                ]
            )
            return
        echo_table(
            [_("Person"), _("Name"), _("Partner"), _("Retention until")],
            [
                (
                    f"{h.partner_id}/{h.contact.key}",
                    clean_text(h.contact.name),
                    clean_text(h.partner_name),
                    format_date(h.contact.retention_until) if h.contact.retention_until else "",
                )
                for h in found
            ],
        )


def _partner_commands(cli: click.Group) -> None:
    @cli.group(help=_("Partners: associations, schools, parishes, services…"))
    def partners() -> None:
        pass

    @partners.command("list", help=_("List partners, optionally filtered."))
    @click.option("--kind", type=_choice(PartnerKind), help=_("Only this kind."))
    @click.option("--zone", help=_("Only partners in this zone."))
    @click.option("--theme", help=_("Only partners with this theme."))
    @click.option("--tag", help=_("Only partners with this tag."))
    @click.option("--text", help=_("Words to look for in names and notes."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def partners_list(
        kind: str | None,
        zone: str | None,
        theme: str | None,
        tag: str | None,
        text: str | None,
        as_json_: bool,
    ) -> None:
        query = PartnerQuery(
            kind=PartnerKind(kind) if kind else None, zone=zone, theme=theme, tag=tag, text=text
        )
        found = session().open(write=False).list_partners(query)
        if as_json_:
            echo_json([as_json(p) for p in found])
            return
        echo_table(
            [_("Id"), _("Name"), _("Kind"), _("Zones")],
            [(p.id, p.name, p.kind.label, ", ".join(p.zones)) for p in found],
        )

    @partners.command("show", help=_("Show one partner and where it takes part."))
    @click.argument("partner_id", type=int)
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def partners_show(partner_id: int, as_json_: bool) -> None:
        registry = session().open(write=False)
        partner = registry.partner(partner_id)
        usage = registry.store.partner_usage(partner_id)
        if as_json_:
            echo_json(
                {
                    **as_json(partner),
                    "pacts": [p.code for p in usage["pacts"]],
                    "activities": len(usage["activities"]),
                }
            )
            return
        rows = [
            (_("Name"), partner.name),
            (_("Kind"), partner.kind.label),
            (_("Zones"), ", ".join(partner.zones)),
            (_("Themes"), ", ".join(partner.themes)),
            (_("Tags"), ", ".join(partner.tags)),
            (_("Pacts"), ", ".join(p.code for p in usage["pacts"])),
            (_("Activities"), len(usage["activities"])),
            (_("Contacts"), len(partner.contacts)),
            (_("Notes"), partner.notes),
        ]
        if partner.parent_id:
            rows.insert(2, (_("Part of"), registry.partner(partner.parent_id).name))
        _echo_fields(f"{partner.id}", rows)

    partner_options = _option_set(
        click.option("--name", help=_("The partner's name.")),
        click.option("--kind", type=_choice(PartnerKind), help=_("What kind of partner.")),
        click.option(
            "--parent",
            type=int,
            help=_("Id of the partner it belongs to (a school's institute)."),
        ),
        click.option("--zone", "zones", multiple=True, help=_("A zone (repeat for more).")),
        click.option("--theme", "themes", multiple=True, help=_("A theme (repeat for more).")),
        click.option("--tag", "tags", multiple=True, help=_("A tag (repeat for more).")),
        click.option("--notes", help=_("Free notes.")),
    )

    @partners.command("add", help=_("Register a partner."))
    @partner_options
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the new partner as JSON."))
    def partners_add(
        as_json_: bool, name: str | None, kind: str | None, parent: int | None, **lists: Any
    ) -> None:
        if not name or not kind:
            fail(_("a partner needs --name and --kind."))
        fields = _changes(name=name, kind=kind, parent_id=parent, **lists)
        partner = session().open(write=True).create_partner(**fields)
        _report_saved(
            partner,
            as_json_,
            _("Partner {id} saved: {name}").format(id=partner.id, name=partner.name),
        )

    @partners.command("edit", help=_("Change a partner; options not given stay as they are."))
    @click.argument("partner_id", type=int)
    @partner_options
    @click.option("--no-parent", is_flag=True, help=_("Remove the parent link."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the partner as JSON."))
    def partners_edit(
        partner_id: int, as_json_: bool, no_parent: bool, parent: int | None, **options: Any
    ) -> None:
        changes = _changes(parent_id=parent, **options)
        if no_parent:
            changes["parent_id"] = None
        if not changes:
            fail(_("nothing to change: give at least one option."))
        partner = session().open(write=True).update_partner(partner_id, **changes)
        _report_saved(
            partner,
            as_json_,
            _("Partner {id} saved: {name}").format(id=partner.id, name=partner.name),
        )

    @partners.command(
        "delete", help=_("Delete a partner (refused while pacts or activities use it).")
    )
    @click.argument("partner_id", type=int)
    @click.option(
        "--detach", is_flag=True, help=_("Remove it from pacts and activities, then delete it.")
    )
    def partners_delete(partner_id: int, detach: bool) -> None:
        registry = session().open(write=True)
        name = registry.partner(partner_id).name
        registry.delete_partner(partner_id, detach=detach)
        click.echo(_("Partner {id} deleted: {name}").format(id=partner_id, name=clean_text(name)))


def _pact_commands(cli: click.Group) -> None:
    @cli.group(help=_("Community pacts."))
    def pacts() -> None:
        pass

    @pacts.command("list", help=_("List pacts, optionally filtered."))
    @click.option("--year", type=int, help=_("Only pacts activated in this year."))
    @click.option("--status", type=_choice(PactStatus), help=_("Only pacts in this status."))
    @click.option("--type", "type_", help=_("Only pacts of this type."))
    @click.option("--zone", help=_("Only pacts in this zone."))
    @click.option("--theme", help=_("Only pacts with this theme."))
    @click.option("--partner", type=int, help=_("Only pacts this partner is a member of."))
    @click.option("--text", help=_("Words to look for in codes, titles, objectives and notes."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def pacts_list(
        year: int | None,
        status: str | None,
        type_: str | None,
        zone: str | None,
        theme: str | None,
        partner: int | None,
        text: str | None,
        as_json_: bool,
    ) -> None:
        query = PactQuery(
            year=year,
            status=PactStatus(status) if status else None,
            type=type_,
            zone=zone,
            theme=theme,
            partner_id=partner,
            text=text,
        )
        found = session().open(write=False).list_pacts(query)
        if as_json_:
            echo_json([as_json(p) for p in found])
            return
        echo_table(
            [_("Id"), _("Code"), _("Title"), _("Status"), _("Members")],
            [(p.id, p.code, p.title, p.status.label, len(p.members)) for p in found],
        )

    @pacts.command("show", help=_("Show one pact, by id or code."))
    @click.argument("ref")
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def pacts_show(ref: str, as_json_: bool) -> None:
        registry = session().open(write=False)
        pact = registry.pact(ref)
        names = {m.partner_id: registry.partner(m.partner_id).name for m in pact.members}
        activities = registry.list_activities(ActivityQuery(pact_id=pact.id))
        if as_json_:
            data = as_json(pact)
            for member in data["members"]:
                member["partner_name"] = names[member["partner_id"]]
            data["activities"] = len(activities)
            echo_json(data)
            return
        predecessor = registry.pact(pact.predecessor_id).code if pact.predecessor_id else ""
        rows = [
            (_("Title"), pact.title),
            (_("Type"), pact.type),
            (_("Status"), pact.status.label),
            (_("Year"), pact.year),
            (_("Period"), f"{format_date(pact.start)} – {format_date(pact.end)}"),
            (_("Zones"), ", ".join(pact.zones)),
            (_("Themes"), ", ".join(pact.themes)),
            (_("Continues"), predecessor),
            (_("Activities"), len(activities)),
            (_("Notes"), pact.notes),
        ]
        _echo_fields(pact.code, rows)
        if pact.members:
            click.echo()
            echo_table(
                [_("Partner"), _("Name"), _("Role")],
                [(m.partner_id, names[m.partner_id], m.role) for m in pact.members],
            )

    pact_options = _option_set(
        click.option("--title", help=_("The pact's title.")),
        click.option("--type", "type_", help=_("The pact type (see the types command).")),
        click.option("--code", help=_("Code, e.g. PdC-2021-03 (default: the next free one).")),
        click.option(
            "--year", type=int, help=_("Year of activation (default: from the start date).")
        ),
        click.option("--start", help=_("Start date, DD/MM/YYYY.")),
        click.option("--end", help=_("End date, DD/MM/YYYY.")),
        click.option("--zone", "zones", multiple=True, help=_("A zone (repeat for more).")),
        click.option("--theme", "themes", multiple=True, help=_("A theme (repeat for more).")),
        click.option(
            "--objective",
            "objectives",
            multiple=True,
            help=_("An objective (repeat for more)."),
        ),
        click.option(
            "--target-group",
            "target_groups",
            multiple=True,
            help=_("A target group (repeat for more)."),
        ),
        click.option(
            "--member",
            "members",
            multiple=True,
            help=_("PARTNER_ID:ROLE (repeat for more)."),
        ),
        click.option("--predecessor", help=_("Id or code of the pact this one continues.")),
        click.option("--notes", help=_("Free notes.")),
        click.option(
            "--detail",
            "detail_pairs",
            multiple=True,
            help=_("A field of the pact type, KEY=VALUE (VALUE may be JSON; repeat for more)."),
        ),
        click.option(
            "--details-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help=_("A JSON file with the pact type's fields."),
        ),
    )

    def pact_fields(
        registry: Registry, options: dict[str, Any], current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        options["type"] = options.pop("type_", None)
        members = options.pop("members", ())
        predecessor = options.pop("predecessor", None)
        details = _details(options.pop("details_file", None), options.pop("detail_pairs", ()))
        fields = _changes(**options)
        if details is not None:
            fields["details"] = {**(current or {}), **details}
        if members:
            fields["members"] = _members(members)
        if predecessor:
            fields["predecessor_id"] = registry.pact(predecessor).id
        return fields

    @pacts.command("add", help=_("Create a pact."))
    @pact_options
    @click.option(
        "--status",
        type=click.Choice(["draft", "proposed"]),
        default="draft",
        help=_("Initial status."),
    )
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the new pact as JSON."))
    def pacts_add(as_json_: bool, status: str, **options: Any) -> None:
        if not options.get("title") or not options.get("type_"):
            fail(_("a pact needs --title and --type."))
        registry = session().open(write=True)
        pact = registry.create_pact(status=status, **pact_fields(registry, options))
        _report_saved(
            pact, as_json_, _("Pact {code} saved: {title}").format(code=pact.code, title=pact.title)
        )

    @pacts.command("edit", help=_("Change a pact; options not given stay as they are."))
    @click.argument("ref")
    @pact_options
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the pact as JSON."))
    def pacts_edit(ref: str, as_json_: bool, **options: Any) -> None:
        registry = session().open(write=True)
        current = registry.pact(ref)
        changes = pact_fields(registry, options, current.details)
        if not changes:
            fail(_("nothing to change: give at least one option."))
        pact = registry.update_pact(current.id or 0, **changes)
        _report_saved(
            pact, as_json_, _("Pact {code} saved: {title}").format(code=pact.code, title=pact.title)
        )

    @pacts.command(
        "status",
        help=_("Move a pact to another status (draft, proposed, active, concluded, cancelled)."),
    )
    @click.argument("ref")
    @click.argument("status", type=_choice(PactStatus), metavar="STATUS")
    def pacts_status(ref: str, status: str) -> None:
        registry = session().open(write=True)
        pact = registry.set_pact_status(registry.pact(ref).id or 0, status)
        click.echo(
            _("Pact {code} is now {status}.").format(code=pact.code, status=pact.status.label)
        )

    @pacts.command("continue", help=_("Start next year's edition of a pact, linked to this one."))
    @click.argument("ref")
    @click.option("--year", type=int, help=_("Year of the new edition (default: the next one)."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the new pact as JSON."))
    def pacts_continue(ref: str, year: int | None, as_json_: bool) -> None:
        registry = session().open(write=True)
        old = registry.pact(ref)
        pact = registry.continue_pact(old.id or 0, year=year)
        _report_saved(
            pact,
            as_json_,
            _("Pact {code} created as a draft: it continues {old}.").format(
                code=pact.code, old=old.code
            ),
        )

    @pacts.command("delete", help=_("Delete a pact (refused while it has activities)."))
    @click.argument("ref")
    @click.option("--cascade", is_flag=True, help=_("Delete its activities too."))
    def pacts_delete(ref: str, cascade: bool) -> None:
        registry = session().open(write=True)
        pact = registry.pact(ref)
        removed = registry.delete_pact(pact.id or 0, cascade=cascade)
        click.echo(
            ngettext(
                "Pact {code} deleted ({n} activity with it).",
                "Pact {code} deleted ({n} activities with it).",
                len(removed),
            ).format(code=pact.code, n=len(removed))
        )


def _activity_commands(cli: click.Group) -> None:
    @cli.group(help=_("Activities: visits, meetings, talks, events."))
    def activities() -> None:
        pass

    @activities.command("list", help=_("List activities by date, optionally filtered."))
    @click.option("--year", type=int, help=_("Only activities in this year."))
    @click.option(
        "--status", type=_choice(ActivityStatus), help=_("Only activities in this status.")
    )
    @click.option("--pact", help=_("Only activities of this pact (id or code)."))
    @click.option("--partner", type=int, help=_("Only activities with this partner."))
    @click.option("--from", "date_from", help=_("From this date, DD/MM/YYYY."))
    @click.option("--to", "date_to", help=_("Up to this date, DD/MM/YYYY."))
    @click.option("--text", help=_("Words to look for in titles, places and audiences."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def activities_list(
        year: int | None,
        status: str | None,
        pact: str | None,
        partner: int | None,
        date_from: str | None,
        date_to: str | None,
        text: str | None,
        as_json_: bool,
    ) -> None:
        registry = session().open(write=False)
        query = ActivityQuery(
            year=year,
            status=ActivityStatus(status) if status else None,
            pact_id=registry.pact(pact).id if pact else None,
            partner_id=partner,
            date_from=_date_option(date_from, "--from"),
            date_to=_date_option(date_to, "--to"),
            text=text,
        )
        found = registry.list_activities(query)
        if as_json_:
            echo_json([as_json(a) for a in found])
            return
        echo_table(
            [_("Id"), _("When"), _("Title"), _("Audience"), _("Status")],
            [
                (a.id, format_datetime(a.starts_at), a.title, a.audience, a.status.label)
                for a in found
            ],
        )

    @activities.command("show", help=_("Show one activity."))
    @click.argument("activity_id", type=int)
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def activities_show(activity_id: int, as_json_: bool) -> None:
        registry = session().open(write=False)
        activity = registry.activity(activity_id)
        if as_json_:
            echo_json(as_json(activity))
            return
        names = [registry.partner(p).name for p in activity.partner_ids]
        place = (
            registry.partner(activity.place_partner_id).name
            if activity.place_partner_id
            else activity.place
        )
        _echo_fields(
            str(activity.id),
            [
                (_("Title"), activity.title),
                (_("Pact"), registry.pact(activity.pact_id).code),
                (_("When"), format_datetime(activity.starts_at)),
                (_("Where"), place),
                (_("Partners"), ", ".join(names)),
                (_("Audience"), activity.audience),
                (
                    _("Expected"),
                    activity.audience_count if activity.audience_count is not None else "",
                ),
                (_("Attendance"), activity.attendance if activity.attendance is not None else ""),
                (_("Status"), activity.status.label),
                (_("Notes"), activity.notes),
            ],
        )

    activity_options = _option_set(
        click.option("--pact", help=_("The pact (id or code).")),
        click.option("--title", help=_("What it is.")),
        click.option("--kind", help=_("visit, meeting, talk, event, testimony…")),
        click.option("--when", "starts_at", help=_("Start, DD/MM/YYYY HH:MM.")),
        click.option("--until", "ends_at", help=_("End, DD/MM/YYYY HH:MM.")),
        click.option("--place", help=_("Where, as text.")),
        click.option(
            "--place-partner",
            "place_partner_id",
            type=int,
            help=_("Where: the id of the hosting partner."),
        ),
        click.option(
            "--partner",
            "partner_ids",
            type=int,
            multiple=True,
            help=_("A partner taking part (repeat for more)."),
        ),
        click.option("--audience", help=_("The group reached, e.g. a class (never a person).")),
        click.option("--audience-count", type=int, help=_("How many people the group has.")),
        click.option("--notes", help=_("Free notes.")),
    )

    @activities.command("add", help=_("Add an activity to a pact."))
    @activity_options
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the new activity as JSON."))
    def activities_add(as_json_: bool, pact: str | None, **options: Any) -> None:
        if not pact or not options.get("title") or not options.get("starts_at"):
            fail(_("an activity needs --pact, --title and --when."))
        registry = session().open(write=True)
        fields = _changes(pact_id=registry.pact(pact).id, **options)
        activity = registry.create_activity(**fields)
        _report_saved(
            activity,
            as_json_,
            _("Activity {id} saved: {title}").format(id=activity.id, title=activity.title),
        )

    @activities.command("edit", help=_("Change an activity; options not given stay as they are."))
    @click.argument("activity_id", type=int)
    @activity_options
    @click.option("--json", "as_json_", is_flag=True, help=_("Print the activity as JSON."))
    def activities_edit(activity_id: int, as_json_: bool, pact: str | None, **options: Any) -> None:
        registry = session().open(write=True)
        changes = _changes(pact_id=registry.pact(pact).id if pact else None, **options)
        if not changes:
            fail(_("nothing to change: give at least one option."))
        activity = registry.update_activity(activity_id, **changes)
        _report_saved(
            activity,
            as_json_,
            _("Activity {id} saved: {title}").format(id=activity.id, title=activity.title),
        )

    @activities.command(
        "record", help=_("Record what happened: attendance, or that it was cancelled.")
    )
    @click.argument("activity_id", type=int)
    @click.option("--attendance", type=click.IntRange(min=0), help=_("How many took part."))
    @click.option("--cancelled", is_flag=True, help=_("It did not take place."))
    def activities_record(activity_id: int, attendance: int | None, cancelled: bool) -> None:
        registry = session().open(write=True)
        status = ActivityStatus.CANCELLED if cancelled else ActivityStatus.DONE
        activity = registry.record_activity(activity_id, status=status, attendance=attendance)
        click.echo(
            _("Activity {id} recorded as {status}.").format(
                id=activity.id, status=activity.status.label
            )
        )

    @activities.command("delete", help=_("Delete an activity."))
    @click.argument("activity_id", type=int)
    def activities_delete(activity_id: int) -> None:
        registry = session().open(write=True)
        registry.delete_activity(activity_id)
        click.echo(_("Activity {id} deleted.").format(id=activity_id))


def _details(path: Path | None, pairs: Sequence[str]) -> dict[str, Any] | None:
    """Type-specific fields from ``--details-file`` then ``--detail KEY=VALUE`` (JSON values)."""
    if path is None and not pairs:
        return None
    details: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise click.BadParameter(str(exc), param_hint="--details-file") from None
        if not isinstance(loaded, dict):
            raise click.BadParameter(
                _("the file must hold a JSON object"), param_hint="--details-file"
            )
        details.update(loaded)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                _("{value!r}: use KEY=VALUE").format(value=pair), param_hint="--detail"
            )
        try:
            value: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = raw  # plain text needs no JSON quotes
        details[key.strip()] = value
    return details


def _plugin_commands(cli: click.Group) -> None:
    @cli.command("plugins", help=_("List the loaded plugins, what they add, and any that failed."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def plugins_command(as_json_: bool) -> None:
        host = session().plugins
        infos = host.plugins() if host else []
        failures = host.failures if host else []
        if as_json_:
            echo_json(
                {
                    "plugins": [i.as_json() for i in infos],
                    "failed": [
                        {"name": f.name, "stage": f.stage, "error": f.error} for f in failures
                    ],
                }
            )
            return
        echo_table(
            [_("Name"), _("Distribution"), _("Version"), _("Adds"), _("Hooks")],
            [
                (
                    i.name,
                    i.distribution,
                    i.version,
                    "; ".join(f"{k}: {', '.join(v)}" for k, v in i.adds.items() if v),
                    ", ".join(i.hooks),
                )
                for i in infos
            ],
        )
        for failure in failures:
            click.echo(
                clean_text(
                    _("Disabled {name} ({stage}): {error}").format(
                        name=failure.name, stage=failure.stage, error=failure.error
                    )
                ),
                err=True,
            )

    @cli.command("types", help=_("List the pact types with their fields and roles."))
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def types_command(as_json_: bool) -> None:
        host = session().plugins
        types = host.pact_types() if host else {}
        if as_json_:
            echo_json([t.describe() for t in types.values()])
            return
        for pact_type in types.values():
            described = pact_type.describe()
            # A plugin's texts are data too: each line is cleaned before the terminal.
            say(f"{pact_type.name}: {pact_type.label()}")
            if pact_type.description():
                say(f"  {pact_type.description()}")
            roles = ", ".join(f"{r.name} ({r.describe_count()})" for r in pact_type.roles)
            say("  " + _("Roles: {roles}").format(roles=roles or "-"))
            fields = ", ".join(described["fields"])
            say("  " + _("Fields: {fields}").format(fields=fields or "-"))
            planner = _("yes") if described["planner"] else _("no")
            say("  " + _("Planner: {planner}").format(planner=planner))

    @cli.command(
        "plan", help=_("Show a pact type's proposed schedule for a pact; --apply saves it.")
    )
    @click.argument("ref")
    @click.option(
        "--apply", "apply_", is_flag=True, help=_("Save the proposal as planned activities.")
    )
    @click.option("--seed", type=int, default=0, show_default=True, help=_("Tie-breaking seed."))
    @click.option(
        "--from",
        "not_before",
        metavar=_("DATE"),
        help=_("Propose nothing before this date (default: today)."),
    )
    @click.option("--json", "as_json_", is_flag=True, help=_("Print JSON."))
    def plan_command(
        ref: str, apply_: bool, seed: int, not_before: str | None, as_json_: bool
    ) -> None:
        registry = session().open(write=apply_)
        pact = registry.pact(ref)
        start = _date_option(not_before, "--from")
        plan = registry.plan_pact(pact.id or 0, seed=seed, not_before=start)
        saved = registry.apply_plan(pact.id or 0, plan) if apply_ else []
        if as_json_:
            echo_json(
                {
                    "pact": pact.code,
                    "activities": orjson.loads(orjson.dumps(plan.activities)),
                    "gaps": plan.gaps,
                    "stats": plan.stats,
                    "summary": plan.summary,
                    "applied": [a.id for a in saved],
                }
            )
        else:
            names: dict[int, str] = {}

            def name_of(partner_id: int | None) -> str:
                if partner_id is None:
                    return ""
                if partner_id not in names:
                    names[partner_id] = registry.partner(partner_id).name
                return names[partner_id]

            echo_table(
                [_("When"), _("Where"), _("Audience"), _("With")],
                [
                    (
                        format_datetime(a["starts_at"]),
                        name_of(a.get("place_partner_id")),
                        a.get("audience", ""),
                        ", ".join(name_of(p) for p in a.get("partner_ids", [])),
                    )
                    for a in plan.activities
                ],
            )
            for line in plan.summary:
                click.echo(clean_text(line))
            for gap in plan.gaps:
                say(_("Not met: {gap}").format(gap=gap))
            if apply_:
                click.echo(
                    _("Saved {n} planned activities for {code}.").format(
                        n=len(saved), code=pact.code
                    )
                )
        if plan.gaps:
            n = len(plan.gaps)
            click.echo(
                ngettext(
                    "{n} request could not be met.", "{n} requests could not be met.", n
                ).format(n=n),
                err=True,
            )


def _echo_fields(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    click.echo(clean_text(str(title)))
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {clean_text(str(value))}")


def _report_saved(record: Record, as_json_: bool, message: str) -> None:
    if as_json_:
        echo_json(as_json(record))
    else:
        click.echo(clean_text(message))


def demo_store_path() -> Path:
    """The demo lives apart from the operator's real store, so trying it never mixes data."""
    from platformdirs import user_data_path

    return user_data_path("patti", appauthor=False) / "demo.json"


def _open_tui(s: Session, path: Path) -> None:
    from patti.tui.app import run_app

    try:
        run_app(path, s.plugins)
    except (StoreCorruptError, ForeignFileError) as exc:  # as for commands: name a backup
        raise type(exc)(f"{exc} {_offer_backup(path)}".strip()) from exc


def _preparse_language(argv: Sequence[str]) -> str | None:
    """Find ``--lang`` before the command tree (and its help texts) is built."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        set_language(_preparse_language(args))
    except ValueError:
        set_language(None)
    if "--no-plugins" in args[: args.index("--") if "--" in args else len(args)]:
        set_plugin_host(PluginHost(enabled=False))
    build_cli().main(args=args, prog_name="patti")


if __name__ == "__main__":  # pragma: no cover
    main()
