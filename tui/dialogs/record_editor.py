"""Edit one record of a pact type's details (a class, a closure, a school) in a small form.

The form is the same generator as the pact's own details
(:class:`~patti.tui.widgets.details_form.DetailsForm`), built from the
record's model, so a record holding records (a school and its classes)
opens a dialog of its own. Ctrl+S, or Enter in a field, keeps the record
once it passes the model's validation; until then the problems are shown
under their fields and nothing changes. Escape leaves the record as it was.
The pact itself is saved only by the pact editor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from patti.core.i18n import N_, _

from ..localise import localise_bindings
from ..widgets.details_form import DetailsForm
from ..widgets.pact_detail import NameOf
from ..widgets.partner_picker import Choice


class RecordEditor(ModalScreen[dict[str, Any] | None]):
    """A form for one record of ``model``; dismisses with its JSON values, or ``None``."""

    DEFAULT_CSS = """
    RecordEditor {
        align: center middle;
    }
    RecordEditor > #record-editor {
        width: 104;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    RecordEditor #record-editor-form {
        height: auto;
        max-height: 26;
    }
    RecordEditor #record-editor-error {
        display: none;
        color: $text-error;
    }
    RecordEditor #record-editor-error.-shown {
        display: block;
    }
    RecordEditor #record-editor-buttons {
        height: auto;
        align-horizontal: right;
        margin: 1 0 0 0;
    }
    RecordEditor #record-editor-buttons Button {
        margin: 0 0 0 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "keep", N_("OK"), id="record-editor.keep", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="record-editor.cancel"),
    ]

    def __init__(
        self,
        model: type[BaseModel],
        values: dict[str, Any],
        title: str,
        name_of: NameOf,
        partners: Sequence[Choice] | None = None,
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.model = model
        self.values = values
        self.title_text = title
        self.name_of = name_of
        self.partners = partners

    def compose(self) -> ComposeResult:
        with Vertical(id="record-editor") as box:
            box.border_title = Content(self.title_text)
            with VerticalScroll(id="record-editor-form"):
                yield DetailsForm(
                    self.model, self.values, self.name_of, partners=self.partners, id="record-form"
                )
            yield Static(id="record-editor-error")
            with Horizontal(id="record-editor-buttons"):
                yield Button(_("Cancel"), id="record-editor-cancel", compact=True)
                yield Button(_("OK"), id="record-editor-ok", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        first = next((w for w in self.form.query("*") if w.focusable), None)
        if first is not None:
            first.focus()

    @property
    def form(self) -> DetailsForm:
        return self.query_one("#record-form", DetailsForm)

    def action_keep(self) -> None:
        """Keep the record when it validates; say what to fix otherwise."""
        values = self.form.collect()
        error = self.query_one("#record-editor-error", Static)
        if values is None:
            error.update(Content(_("Correct the fields marked in red, or press Esc to cancel.")))
            error.add_class("-shown")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_keep()

    @on(Button.Pressed, "#record-editor-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_keep()

    @on(Button.Pressed, "#record-editor-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()


__all__ = ["RecordEditor"]
