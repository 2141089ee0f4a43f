"""The store's backups: list and verify them, back up now, restore one after a clear question.

Reading a backup means reading and checking the whole file, so listing,
verifying, writing and restoring all run in thread workers behind a loading
indicator. Restoring first runs the restore as a dry run, and the
confirmation says, table by table, how many records there are now, how many
there will be and how many differ; the restore itself keeps the store as it
was in a ``before-restore`` backup.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from patti.core import backup as backups
from patti.core.dates import format_datetime
from patti.core.errors import PattiError
from patti.core.formats import format_size, record_counts
from patti.core.i18n import N_, _, ngettext
from patti.core.services import Registry
from patti.core.text import clean_text

from ..dialogs.confirm import ConfirmDialog
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen

Signature = frozenset[tuple[str, int, int]]


@dataclass(frozen=True)
class Failure:
    """A refusal from the backup services, in the operator's words; ``path``: the file."""

    message: str
    path: Path | None = None


@dataclass(frozen=True)
class Listed:
    """The backups as listed and verified, and the folder's state when they were."""

    listings: list[backups.Listing]
    signature: Signature


@dataclass(frozen=True)
class Written:
    path: Path
    counts: dict[str, int]


@dataclass(frozen=True)
class Verified:
    path: Path
    backup: backups.Backup


@dataclass(frozen=True)
class Planned:
    """A restore's dry run: what would change, for the confirmation."""

    listing: backups.Listing
    result: backups.RestoreResult


@dataclass(frozen=True)
class Restored:
    listing: backups.Listing
    result: backups.RestoreResult


def size_text(size: int) -> str:
    return format_size(size)


def counts_text(counts: dict[str, int]) -> str:
    return record_counts(counts)


def kind_text(kind: str) -> str:
    kinds = {"auto": _("automatic"), "before-restore": _("before a restore")}
    return kinds.get(kind, _("manual"))


def change_lines(result: backups.RestoreResult) -> list[str]:
    """``Partners: 49 → 50 (1 record differs)``, one line per table."""
    labels = {"partners": _("Partners"), "pacts": _("Pacts"), "activities": _("Activities")}
    lines = []
    for table, label in labels.items():
        before = result.before.get(table)
        line = _("{table}: {before} → {after}").format(
            table=label,
            before="?" if before is None else before,
            after=result.after.get(table, 0),
        )
        if table in result.changed:
            n = result.changed[table]
            line += " " + ngettext("({n} record differs)", "({n} records differ)", n).format(n=n)
        lines.append(line)
    return lines


def folder_signature(store_path: Path) -> Signature:
    """Names, sizes and times of the backups folder's files: cheap, unlike verifying them."""
    folder = backups.backups_folder(store_path)
    found = set()
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            stat = path.stat()
        except OSError:
            continue
        found.add((path.name, stat.st_size, stat.st_mtime_ns))
    return frozenset(found)


class BackupsScreen(PattiScreen):
    """Every backup of the store, newest first, with whether it can be restored."""

    DEFAULT_CSS = """
    BackupsScreen #backups-head {
        height: auto;
        padding: 0 1;
        text-style: bold;
    }
    BackupsScreen #backups-status {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    BackupsScreen #backup-table {
        height: 1fr;
    }
    BackupsScreen #backup-detail-scroll {
        height: auto;
        max-height: 8;
        border-top: solid $primary-darken-2;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "backup", N_("Back up now"), id="backups.backup"),
        Binding("v", "verify", N_("Verify"), id="backups.verify"),
        Binding("r", "restore", N_("Restore"), id="backups.restore"),
    ]
    EDIT_ACTIONS = frozenset({"backup", "restore"})

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.listings: dict[Path, backups.Listing] = {}
        self.order: list[Path] = []
        self.busy = False
        self._signature: Signature | None = None

    @property
    def store_path(self) -> Path:
        return self.registry.store.path

    def compose_body(self) -> ComposeResult:
        yield Static(
            Content(
                _("Backups of {store} in {folder}").format(
                    store=clean_text(self.store_path.name),
                    folder=clean_text(str(backups.backups_folder(self.store_path))),
                )
            ),
            id="backups-head",
        )
        yield Static(id="backups-status")
        yield PagedTable[Path](
            [
                Column("file", _("File")),
                Column("created", _("Created")),
                Column("size", _("Size")),
                Column("kind", _("Kind")),
                Column("verifies", _("Verifies")),
            ],
            id="backup-table",
        )
        with VerticalScroll(id="backup-detail-scroll"):
            yield Static(id="backup-detail")

    def on_mount(self) -> None:
        self.load()
        self.table.focus_table()

    def refresh_data(self) -> None:
        # Verifying reads every file: only when the folder changed since the last listing.
        if not self.busy and folder_signature(self.store_path) != self._signature:
            self.load()

    @property
    def table(self) -> PagedTable[Path]:
        return self.query_one("#backup-table", PagedTable)

    def current(self) -> backups.Listing | None:
        key = self.table.current()
        return self.listings.get(key) if key is not None else None

    # -- workers ---------------------------------------------------------------------

    def _start(self, status: str) -> None:
        self.busy = True
        self._status(status)
        self.table.loading = True
        self.refresh_bindings()

    def _status(self, text: str) -> None:
        self.query_one("#backups-status", Static).update(Content(text))

    def load(self) -> None:
        """List and verify every backup, off the UI thread."""
        self._start(_("Reading and verifying the backups…"))
        self._list()

    @work(thread=True, exclusive=True, group="backups", name="list")
    def _list(self) -> Listed:
        signature = folder_signature(self.store_path)
        return Listed(backups.list_backups(self.store_path), signature)

    @work(thread=True, exclusive=True, group="backups", name="write")
    def _write(self) -> Written | Failure:
        try:
            path = backups.write_backup(self.registry.store)
            return Written(path, backups.read_backup(path).counts())
        except (PattiError, OSError) as exc:
            return Failure(clean_text(str(exc)))

    @work(thread=True, exclusive=True, group="backups", name="verify")
    def _verify(self, path: Path) -> Verified | Failure:
        try:
            return Verified(path, backups.read_backup(path))
        except (PattiError, OSError) as exc:
            return Failure(clean_text(str(exc)), path)

    @work(thread=True, exclusive=True, group="backups", name="dry-run")
    def _dry_run(self, listing: backups.Listing) -> Planned | Failure:
        try:
            return Planned(
                listing, backups.restore(self.registry.store, listing.path, dry_run=True)
            )
        except (PattiError, OSError) as exc:
            return Failure(clean_text(str(exc)))

    @work(thread=True, exclusive=True, group="backups", name="restore")
    def _restore(self, listing: backups.Listing) -> Restored | Failure:
        try:
            return Restored(listing, backups.restore(self.registry.store, listing.path))
        except (PattiError, OSError) as exc:
            return Failure(clean_text(str(exc)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "backups" or event.state is not WorkerState.SUCCESS:
            return
        result = event.worker.result
        self.busy = False
        self.table.loading = False
        self._status("")
        name = event.worker.name
        if isinstance(result, Failure):
            self.notify(result.message, severity="error", timeout=15, markup=False)
            if name == "verify" and result.path is not None:
                self._mark(result.path, result.message)
        elif isinstance(result, Listed):
            self._show(result)
        elif isinstance(result, Written):
            self._written(result)
        elif isinstance(result, Verified):
            self._verified(result)
        elif isinstance(result, Planned):
            self._confirm(result)
        elif isinstance(result, Restored):
            self._restored(result)
        self.refresh_bindings()

    # -- showing -------------------------------------------------------------------------

    def _show(self, listed: Listed, keep: Path | None = None) -> None:
        self._signature = listed.signature
        self.listings = {b.path: b for b in listed.listings}
        self.order = [b.path for b in listed.listings]
        self._draw(keep if keep is not None else self.table.current())
        if not self.order:
            self._status(
                _("No backups yet in {folder}.").format(
                    folder=clean_text(str(backups.backups_folder(self.store_path)))
                )
            )

    def _draw(self, keep: Path | None = None) -> None:
        def render(path: Path) -> list[str | Text]:
            b = self.listings[path]
            verifies = Text(_("yes"), style="green") if b.ok else Text(_("NO"), style="bold red")
            return [
                clean_text(b.path.name),
                backups.describe_listing(b),
                Text(size_text(b.size), justify="right"),
                kind_text(b.kind),
                verifies,
            ]

        self.table.set_rows(self.order, render, keep=keep)
        self._detail(self.current())

    def _detail(self, listing: backups.Listing | None) -> None:
        detail = self.query_one("#backup-detail", Static)
        if listing is None:
            detail.update(Content(""))
            return
        parts: list[str | tuple[str, str]] = [clean_text(str(listing.path)), "\n"]
        if listing.ok:
            parts.append((_("Verifies: it can be restored."), "$success"))
        else:
            parts.append((clean_text(listing.problem or ""), "$error"))
        detail.update(Content.assemble(*parts))

    def on_paged_table_highlighted(self, event: PagedTable.Highlighted) -> None:
        # Not @on(..., "#backup-table"): PagedTable's messages have no ``control``.
        if event.table is not self.table:
            return
        key = event.key
        self._detail(self.listings.get(key) if isinstance(key, Path) else None)

    def _mark(self, path: Path, problem: str | None) -> None:
        """Record what verifying a listed file found, so the table says it too."""
        listing = self.listings.get(path)
        if listing is not None and listing.problem != problem:
            self.listings[listing.path] = dataclasses.replace(listing, problem=problem)
            self._draw(listing.path)

    # -- results ---------------------------------------------------------------------

    def _written(self, written: Written) -> None:
        self.notify(
            clean_text(
                _("Backup written and verified: {path} ({counts}).").format(
                    path=written.path.name, counts=counts_text(written.counts)
                )
            ),
            markup=False,
        )
        self.load()

    def _verified(self, verified: Verified) -> None:
        checked = verified.backup
        self.notify(
            clean_text(
                _(
                    "{path} verifies: schema {schema}, written by patti {version} on {date}; "
                    "{counts}."
                ).format(
                    path=verified.path.name,
                    schema=checked.schema_version,
                    version=checked.app_version,
                    date=format_datetime(checked.created_at.astimezone()),
                    counts=counts_text(checked.counts()),
                )
            ),
            markup=False,
        )
        self._mark(verified.path, None)

    def _confirm(self, planned: Planned) -> None:
        listing = planned.listing
        lines = [
            _("Replace the content of the store with {file} ({date})?").format(
                file=clean_text(listing.path.name), date=backups.describe_listing(listing)
            ),
            "",
            *change_lines(planned.result),
            "",
            _("The store as it is now is kept as a backup first."),
        ]

        def answered(confirmed: bool | None) -> None:
            if confirmed and not self.busy:
                self._start(_("Restoring {file}…").format(file=clean_text(listing.path.name)))
                self._restore(listing)

        self.app.push_screen(
            ConfirmDialog(
                _("Restore a backup"),
                "\n".join(lines),
                confirm_label=_("Restore"),
                danger=True,
            ),
            answered,
        )

    def _restored(self, restored: Restored) -> None:
        result = restored.result
        lines = [
            _("Restored {path} from {file}.").format(
                path=self.store_path, file=restored.listing.path.name
            )
        ]
        if result.safety_backup:
            lines.append(
                _("The store as it was is kept in {path}.").format(path=result.safety_backup.name)
            )
        self.notify(clean_text("\n".join(lines), multiline=True), timeout=15, markup=False)
        hook = getattr(self.app, "call_after_restore", None)
        if callable(hook):
            hook()  # every screen shows the restored data
        self.load()

    # -- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"backup", "verify", "restore"} and self.busy:
            return None
        return super().check_action(action, parameters)

    def action_backup(self) -> None:
        self._start(_("Writing a backup…"))
        self._write()

    def action_verify(self) -> None:
        listing = self.current()
        if listing is None:
            self.notify(_("No backup selected."), severity="warning", markup=False)
            return
        self._start(_("Verifying {file}…").format(file=clean_text(listing.path.name)))
        self._verify(listing.path)

    def action_restore(self) -> None:
        listing = self.current()
        if listing is None:
            self.notify(_("No backup selected."), severity="warning", markup=False)
            return
        if not listing.ok:
            self.notify(
                clean_text(_("Not restored: {problem}").format(problem=listing.problem)),
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        self._start(
            _("Comparing {file} with the store…").format(file=clean_text(listing.path.name))
        )
        self._dry_run(listing)
