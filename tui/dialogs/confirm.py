"""A yes/no question before an action that replaces data (restore a backup, accept a plan)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from patti.core.i18n import N_, _

from ..localise import localise_bindings


class ConfirmDialog(ModalScreen[bool]):
    """Asks one question; dismisses with ``True`` (confirm) or ``False`` (cancel).

    Title and message are shown as plain text: a message usually quotes
    stored data (a file name, a pact's code), which must never be parsed as
    markup. ``y`` confirms, ``n``/Escape cancel. Enter presses the focused
    button: the confirm button for a harmless question, the cancel button
    when ``safe_default`` (by default: whenever ``danger``), so that a
    stray Enter, or Enter pressed once too often, never deletes or
    discards anything.
    """

    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
    }
    ConfirmDialog > #confirm-box {
        width: 76;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ConfirmDialog.-danger > #confirm-box {
        border: thick $error;
    }
    ConfirmDialog #confirm-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ConfirmDialog #confirm-scroll {
        height: auto;
        max-height: 20;
    }
    ConfirmDialog #confirm-keys {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmDialog #confirm-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    ConfirmDialog #confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", N_("Confirm"), id="confirm.yes"),
        Binding("n", "cancel", N_("Cancel"), id="confirm.no"),
        Binding("escape", "cancel", N_("Cancel"), show=False, id="confirm.escape"),
    ]

    def __init__(
        self,
        title: str | Content,
        message: str | Content,
        *,
        confirm_label: str | None = None,
        cancel_label: str | None = None,
        danger: bool = False,
        safe_default: bool | None = None,
    ) -> None:
        super().__init__(classes="-danger" if danger else None)
        localise_bindings(self)
        self._title = title if isinstance(title, Content) else Content(title)
        self._message = message if isinstance(message, Content) else Content(message)
        self._confirm_label = confirm_label or _("Confirm")
        self._cancel_label = cancel_label or _("Cancel")
        self._danger = danger
        self._safe_default = danger if safe_default is None else safe_default

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self._title, id="confirm-title")
            with VerticalScroll(id="confirm-scroll"):
                yield Static(self._message, id="confirm-message")
            keys = (
                _("y: confirm · n, Esc or Enter: cancel")
                if self._safe_default
                else _("y or Enter: confirm · n or Esc: cancel")
            )
            yield Static(Content(keys), id="confirm-keys")
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(self._cancel_label), variant="default", id="confirm-cancel")
                yield Button(
                    Content(self._confirm_label),
                    variant="error" if self._danger else "primary",
                    id="confirm-ok",
                )
        yield Footer()  # a modal hides the screen's footer: the dialog shows its own keys

    def on_mount(self) -> None:
        # Enter presses the focused button (a Button's own binding): the safe one if asked.
        default = "#confirm-cancel" if self._safe_default else "#confirm-ok"
        self.query_one(default, Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm-ok")
    def _pressed_ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def _pressed_cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)
