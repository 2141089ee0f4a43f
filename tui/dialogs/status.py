"""Change a pact's status: the allowed moves, each with the rule it must pass.

The list comes from the services' ``TRANSITIONS``; picking one calls
``Registry.set_pact_status``. A refusal stays in the dialog, in words, under
the list (and as a notification), so the operator reads *why* (no members,
a role out of its limits, no start date) and can close it to fix that.
Dismisses with the saved pact, or ``None`` when nothing changed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from patti.core.errors import PattiError
from patti.core.i18n import N_, _
from patti.core.model import Pact, PactStatus
from patti.core.services import TRANSITIONS, Registry
from patti.core.text import clean_text

from ..localise import localise_bindings
from ..widgets.pact_detail import pact_type_of

#: The order statuses are offered in: the life cycle, then cancellation.
ORDER = (
    PactStatus.DRAFT,
    PactStatus.PROPOSED,
    PactStatus.ACTIVE,
    PactStatus.CONCLUDED,
    PactStatus.CANCELLED,
)


def rule_of(registry: Registry, pact: Pact, target: PactStatus) -> str:
    """What moving ``pact`` to ``target`` requires, in words."""
    if target is PactStatus.ACTIVE:
        rule = _("needs at least one member")
        pact_type = pact_type_of(registry, pact.type)
        limits = [
            f"{role.label} {role.describe_count()}"
            for role in (pact_type.roles if pact_type else ())
            if role.min or role.max is not None
        ]
        if limits:
            rule += "; " + _("roles: {limits}").format(limits=", ".join(limits))
        return rule
    if target is PactStatus.CONCLUDED:
        return _("needs a start date that is not in the future")
    if target is PactStatus.CANCELLED:
        return _("final: a cancelled pact can no longer be changed")
    if target is PactStatus.PROPOSED:
        return _("submitted to the partners for agreement")
    return _("back to a draft, to be completed")


class StatusDialog(ModalScreen[Pact | None]):
    """The status moves allowed from the pact's current status."""

    DEFAULT_CSS = """
    StatusDialog {
        align: center middle;
    }
    StatusDialog > #status-dialog {
        width: 80;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    StatusDialog #status-options {
        height: auto;
        max-height: 14;
        margin: 1 0 0 0;
    }
    StatusDialog #status-error {
        color: $text-error;
        margin: 1 0 0 0;
        display: none;
    }
    StatusDialog #status-error.-shown {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="status.close"),
    ]

    def __init__(self, registry: Registry, pact: Pact) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self.pact = pact
        self.targets = [s for s in ORDER if s in TRANSITIONS[pact.status]]

    def compose(self) -> ComposeResult:
        with Vertical(id="status-dialog") as box:
            box.border_title = _("Change status")
            yield Static(
                Content.assemble(
                    (self.pact.code, "bold"),
                    "  ",
                    _("now: {status}").format(status=self.pact.status.label),
                ),
                id="status-current",
            )
            if self.targets:
                options = []
                for target in self.targets:
                    label = Text(target.label, style="bold")
                    label.append(f"\n  {rule_of(self.registry, self.pact, target)}", style="dim")
                    options.append(Option(label, id=target.value))
                yield OptionList(*options, id="status-options")
            else:
                yield Static(Content(_("A cancelled pact cannot change status.")), id="status-none")
            yield Static(id="status-error")
        yield Footer()

    def on_mount(self) -> None:
        if self.targets:
            self.query_one("#status-options", OptionList).focus()

    @on(OptionList.OptionSelected, "#status-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(PactStatus(event.option.id or ""))

    def choose(self, target: PactStatus) -> None:
        """Try the move; dismiss with the saved pact, or show the rule that refused it."""
        try:
            saved = self.registry.set_pact_status(self.pact.id or 0, target, self.pact.revision)
        except PattiError as exc:
            message = clean_text(str(exc))
            error = self.query_one("#status-error", Static)
            error.update(Content.assemble((_("Refused") + ": ", "bold"), message))
            error.add_class("-shown")
            self.notify(message, title=_("Status not changed"), severity="error", markup=False)
            return
        self.dismiss(saved)

    def action_close(self) -> None:
        self.dismiss(None)
