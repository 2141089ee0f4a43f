"""Pick a partner by typing part of its name: an input with a list of suggestions.

Words typed match anywhere in the name, ignoring case and accents ("sc gal"
finds "Scuola Media Galmozzi"); names that start with what was typed come
first. Up/Down move in the suggestions, Enter (or a click) picks one,
Escape closes them. Names are shown as ``Text``: they are data, not markup.
textual-autocomplete is not a dependency; this is the small part of it the
editor needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from patti.core.i18n import N_
from patti.core.search import fold
from patti.core.text import without_controls

from ..localise import localise_bindings


@dataclass(frozen=True)
class Choice:
    """A partner that can be picked: its id, name and a hint (its kind)."""

    partner_id: int
    name: str
    hint: str = ""


class PartnerPicker(Vertical):
    """An :class:`Input` whose suggestions are partners; posts :class:`Picked`."""

    DEFAULT_CSS = """
    PartnerPicker {
        height: auto;
        width: 1fr;
    }
    PartnerPicker > OptionList {
        height: auto;
        max-height: 8;
        display: none;
    }
    PartnerPicker > OptionList.-open {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", N_("Next suggestion"), show=False, id="picker.next"),
        Binding("up", "move(-1)", N_("Previous suggestion"), show=False, id="picker.prev"),
        Binding("escape", "close", N_("Close suggestions"), show=False, id="picker.close"),
    ]

    LIMIT = 8

    @dataclass
    class Picked(Message):
        """The operator picked ``choice``."""

        picker: PartnerPicker
        choice: Choice

        @property
        def control(self) -> PartnerPicker:
            return self.picker

    def __init__(
        self,
        choices: Sequence[Choice],
        *,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        localise_bindings(self)
        self.choices = list(choices)
        self._folded = [(fold(c.name), c) for c in self.choices]
        self._placeholder = placeholder
        self._shown: list[Choice] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self._placeholder, compact=True)
        yield OptionList()

    def on_mount(self) -> None:
        self.suggestions.can_focus = False  # the typing stays in the input

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def suggestions(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def is_open(self) -> bool:
        return self.suggestions.has_class("-open")

    def matches(self, text: str) -> list[Choice]:
        """Choices whose name holds every typed word; names starting with it first."""
        words = fold(text).split()
        if not words:
            return []
        start = fold(text).strip()
        found = [(not name.startswith(start), name, c) for name, c in self._folded]
        hits = [f for f in found if all(w in f[1] for w in words)]
        hits.sort(key=lambda f: (f[0], f[1]))
        return [c for _s, _n, c in hits[: self.LIMIT]]

    def clear(self) -> None:
        self.input.value = ""
        self._close()

    def focus_input(self) -> None:
        self.input.focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        typed = without_controls(event.value)
        if typed != event.value:
            event.input.value = typed
            return
        self._shown = self.matches(typed)
        options = self.suggestions
        options.clear_options()
        for choice in self._shown:
            label = Text(choice.name)
            if choice.hint:
                label.append(f"  {choice.hint}", style="dim")
            options.add_option(Option(label, id=str(choice.partner_id)))
        options.set_class(bool(self._shown), "-open")
        if self._shown:
            options.highlighted = 0

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.suggestions.highlighted
        if self.is_open and index is not None and 0 <= index < len(self._shown):
            self._pick(self._shown[index])

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._shown):
            self._pick(self._shown[event.option_index])
            self.input.focus()

    def _pick(self, choice: Choice) -> None:
        self._close()
        self.post_message(self.Picked(self, choice))

    def _close(self) -> None:
        self._shown = []
        self.suggestions.clear_options()
        self.suggestions.remove_class("-open")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "close"):
            return self.is_open  # otherwise the key goes on to the editor (escape closes it)
        return True

    def action_move(self, step: int) -> None:
        options = self.suggestions
        current = options.highlighted or 0
        options.highlighted = min(max(current + step, 0), len(self._shown) - 1)

    def action_close(self) -> None:
        self._close()
