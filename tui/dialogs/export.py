"""Export the report or the network to a file: a format among the registered exporters, a
file name, and whether to name nobody.

The file is rendered by :func:`patti.core.exporters.export`, exactly as
``patti report`` / ``patti network --format`` render it, and written with
:func:`patti.core.storage.atomic_write_bytes`, so a failed write leaves any
old file as it was. Rendering reads the whole store, so it runs in a worker;
the dialog stays open until the file is written, and anything that refuses
(no folder, a folder for a name, the store itself, a plugin's error, a full
disk) is said under the fields, where the operator can fix it and retry.
Dismisses with an :class:`ExportDone`, or ``None`` when cancelled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from patti.core.errors import PattiError
from patti.core.exporters import Exporter, Subject, export, export_context, exporters_for
from patti.core.formats import format_kilobytes
from patti.core.i18n import N_, _, current_language
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.storage import atomic_write_bytes
from patti.core.text import clean_text, without_controls

from ..localise import localise_bindings

__all__ = ["ExportDialog", "ExportDone", "TargetError", "check_target", "default_name"]


@dataclass(frozen=True)
class ExportDone:
    """A file written: where, in which format, how many bytes."""

    path: Path
    format: str
    size: int

    def message(self) -> str:
        """What to tell the operator (the same words as ``patti report --output``)."""
        return _("Written {path} ({format}, {size} KB).").format(
            path=self.path, format=self.format, size=format_kilobytes(self.size)
        )


class TargetError(ValueError):
    """A file name that cannot be written to, with the reason for the operator."""


def default_name(subject: Subject, year: int | None, extension: str) -> str:
    """``rendiconto-2021.md`` / ``report-2021.md``, ``rete-2021.graphml``: a name in the
    interface's language, for the current folder."""
    if subject == "report":
        template = _("report-{year}.{ext}")
    elif year is None:
        template = _("network-all-years.{ext}")
    else:
        template = _("network-{year}.{ext}")
    return template.format(year=year, ext=extension)


def check_target(text: str, folder: Path, store_path: Path | None = None) -> Path:
    """The file ``text`` names (relative to ``folder``), or :class:`TargetError` saying why
    it cannot be written: no name, a folder, a folder that does not exist, the store."""
    name = text.strip()
    if not name:
        raise TargetError(_("Give a file name."))
    if name.endswith(("/", os.sep)):
        raise TargetError(_("{name} is a folder: add a file name.").format(name=name))
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = folder / path
    try:
        if path.is_dir():
            raise TargetError(_("{path} is a folder: add a file name.").format(path=path))
        parent = path.parent
        if not parent.exists():
            raise TargetError(
                _("The folder {folder} does not exist: create it or choose another.").format(
                    folder=parent
                )
            )
        if not parent.is_dir():
            raise TargetError(_("{folder} is not a folder.").format(folder=parent))
        resolved = path.resolve()
        if store_path is not None and resolved == store_path.expanduser().resolve():
            raise TargetError(_("That is the store itself: choose another file."))
    except OSError as exc:  # a name the system refuses (too long, invalid characters)
        raise TargetError(
            _("{name} cannot be used: {reason}").format(name=name, reason=exc.strerror or exc)
        ) from exc
    return resolved


def formats_or_notify(
    node: Widget, host: PluginHost | None, subject: Subject
) -> dict[str, Exporter] | None:
    """The exporters for ``subject``, or ``None`` after telling the operator why there
    are none (no exporters plugin, or two plugins claiming one format)."""
    try:
        exporters = exporters_for(host, subject)
    except PattiError as exc:
        node.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
        return None
    if not exporters:
        node.notify(
            _("No export format is available: the exporters plugin is not loaded."),
            severity="warning",
            markup=False,
        )
        return None
    return exporters


class ExportDialog(ModalScreen[ExportDone | None]):
    """Format, file name and pseudonymisation; Enter (or Export) writes the file.

    The keys are in the dialog's own footer: a modal hides the screen's."""

    DEFAULT_CSS = """
    ExportDialog {
        align: center middle;
    }
    ExportDialog > #export-box {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $primary;
        background: $surface;
        padding: 0 2;
    }
    ExportDialog .export-label {
        margin-top: 1;
        text-style: bold;
    }
    ExportDialog #export-folder {
        color: $text-muted;
    }
    ExportDialog #export-pseudonymise {
        margin-top: 1;
    }
    ExportDialog #export-error {
        color: $text-error;
        margin-top: 1;
        display: none;
    }
    ExportDialog #export-error.-warning {
        color: $text-warning;
    }
    ExportDialog #export-error.-shown {
        display: block;
    }
    ExportDialog #export-pseudonymise-hint {
        color: $text-muted;
        padding-left: 2;
    }
    ExportDialog #export-buttons {
        height: auto;
        align-horizontal: right;
        margin: 1 0;
    }
    ExportDialog #export-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="export.cancel"),
        Binding("ctrl+s", "export", N_("Export"), id="export.run"),
    ]

    def __init__(
        self,
        registry: Registry,
        exporters: dict[str, Exporter],
        year: int | None,
        *,
        subject: Subject = "report",
        folder: Path | None = None,
    ) -> None:
        super().__init__()
        localise_bindings(self)
        if not exporters:
            raise ValueError("an export dialog needs at least one format")
        self.registry = registry
        self.exporters = exporters
        self.year = year
        self.subject: Subject = subject
        self.folder = folder if folder is not None else Path.cwd()
        self._format = next(iter(exporters))
        self._replace: Path | None = None  # a file the operator agreed to replace
        self._busy = False

    @property
    def exporter(self) -> Exporter:
        return self.exporters[self._format]

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box") as box:
            if self.subject == "report":
                box.border_title = _("Export the report of {year}").format(year=self.year)
            elif self.year is None:
                box.border_title = _("Export the network of all years")
            else:
                box.border_title = _("Export the network of {year}").format(year=self.year)
            yield Static(Content(_("Format")), classes="export-label")
            yield Select[str](
                [
                    (Text(f"{e.label(current_language())} (.{e.extension})"), name)
                    for name, e in self.exporters.items()
                ],
                value=self._format,
                allow_blank=False,
                id="export-format",
            )
            yield Static(Content(_("File name")), classes="export-label")
            yield Input(
                default_name(self.subject, self.year, self.exporter.extension),
                id="export-name",
            )
            yield Static(
                Content(
                    _("A name without a folder is saved in {folder}").format(
                        folder=clean_text(str(self.folder))
                    )
                ),
                id="export-folder",
            )
            # The explanation goes under the box: a checkbox label does not wrap, and the
            # whole sentence is wider than the dialog in Italian.
            yield Checkbox(Content(_("Pseudonymise")), id="export-pseudonymise")
            yield Static(
                Content(_("Name no person: contacts become “Person N”.")),
                id="export-pseudonymise-hint",
            )
            yield Static(id="export-error")
            with Horizontal(id="export-buttons"):
                yield Button(Content(_("Cancel")), id="export-cancel")
                yield Button(Content(_("Export")), variant="primary", id="export-ok")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-name", Input).focus()

    # -- the fields ----------------------------------------------------------------------

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """A new format: the file name follows its extension, unless the operator gave
        the name another one."""
        event.stop()
        if not isinstance(event.value, str) or event.value == self._format:
            return
        old, self._format = self.exporter.extension, event.value
        name = self.query_one("#export-name", Input)
        stem, dot, ext = name.value.rpartition(".")
        if dot and ext == old:
            name.value = f"{stem}.{self.exporter.extension}"
        self._clear_error()

    @on(Input.Changed, "#export-name")
    def _name_changed(self, event: Input.Changed) -> None:
        typed = without_controls(event.value)
        if typed != event.value:  # a pasted escape sequence must not reach the screen
            event.input.value = typed
            return
        self._replace = None
        self._clear_error()

    def _clear_error(self) -> None:
        self.query_one("#export-error", Static).remove_class("-shown", "-warning")
        self.query_one("#export-ok", Button).label = Content(_("Export"))

    def show_error(self, message: str, *, warning: bool = False) -> None:
        """Say under the fields why nothing was written (or what Export will do)."""
        error = self.query_one("#export-error", Static)
        error.update(Content(clean_text(message)))
        error.add_class("-shown")
        error.set_class(warning, "-warning")

    # -- exporting -----------------------------------------------------------------------

    @on(Input.Submitted, "#export-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-ok")
    def _pressed_ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _pressed_cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self._busy:  # a file half-way through its write: let it finish
            self.dismiss(None)

    def action_export(self) -> None:
        """Check the name, ask once before replacing a file, then write in a worker."""
        if self._busy:
            return
        text = self.query_one("#export-name", Input).value
        try:
            path = check_target(text, self.folder, self.registry.store.path)
        except TargetError as exc:
            self.show_error(str(exc))
            return
        wanted = f".{self.exporter.extension}"
        if path.suffix.lower() != wanted:  # CSV bytes in a .xlsx: Excel would refuse it
            self.show_error(
                _(
                    "The name ends in “{suffix}”, this format writes {wanted}: change one of them."
                ).format(suffix=path.suffix or "…", wanted=wanted)
            )
            return
        if path.exists() and path != self._replace:
            self._replace = path
            self.show_error(
                _("{name} already exists: Export again to replace it.").format(name=path.name),
                warning=True,
            )
            self.query_one("#export-ok", Button).label = Content(_("Replace"))
            return
        pseudonymise = self.query_one("#export-pseudonymise", Checkbox).value
        self._busy = True
        self.query_one("#export-box").loading = True
        self._write(self.exporter, path, pseudonymise)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _write(self, exporter: Exporter, path: Path, pseudonymise: bool) -> ExportDone:
        context = export_context(
            self.registry.store,
            self.year,
            pseudonymise=pseudonymise,
            plugins=self.registry.plugins,
            created=self.registry.today(),
        )
        payload = export(exporter, context)
        atomic_write_bytes(path, payload)
        return ExportDone(path, exporter.name, len(payload))

    @on(Worker.StateChanged)
    def _written(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group != "export" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self._busy = False
        self.query_one("#export-box").loading = False
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, ExportDone):
            self.dismiss(worker.result)
            return
        error = worker.error
        if isinstance(error, PattiError):
            self.show_error(_("Nothing was written: {reason}").format(reason=error))
        else:  # a bug, not the operator's doing: say it, keep the session
            self.show_error(_("The export failed: {error}").format(error=error))
        report = getattr(self.app, "report_plugin_failures", None)
        if callable(report):  # an exporter plugin that raised was just disabled
            report()
