"""Pick a partner by typing part of its name: an input with a list of suggestions.

Words typed match anywhere in the name, ignoring case and accents ("sc gal"
finds "Scuola Media Galmozzi"); names that start with what was typed come
first, and partners of the kinds set with :meth:`PartnerPicker.prefer`
before the others. Up/Down move in the suggestions, Enter (or a click) picks
one, Escape closes them. Names are shown as ``Text``: they are data, not markup.

The suggestions open below the input, inside whatever scrolls the form: on
focus and when they open the picker scrolls that container so they are in
view, and Enter picks only a suggestion that is on screen (otherwise it
scrolls it into view first), so nothing unseen is ever added.
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
from textual.css.query import NoMatches
from textual.errors import NoWidget
from textual.events import DescendantFocus
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from patti.core.i18n import N_
from patti.core.search import fold
from patti.core.text import without_controls

from ..localise import localise_bindings


@dataclass(frozen=True)
class Choice:
    """A partner that can be picked: its id, name, a hint (its kind's label) and its kind."""

    partner_id: int
    name: str
    hint: str = ""
    kind: str = ""


class PartnerPicker(Vertical):
    """An :class:`Input` whose suggestions are partners; posts :class:`Picked`."""

    DEFAULT_CSS = """
    PartnerPicker {
        height: auto;
        width: 1fr;
    }
    PartnerPicker > OptionList {
        height: auto;
        max-height: 8;  /* LIST_ROWS */
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
    #: Rows the open suggestions take at most (the list's max-height): the room kept below
    #: the input when it gets focus.
    LIST_ROWS = 8

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
        self.preferred: frozenset[str] = frozenset()

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
        """Choices whose name holds every typed word: the preferred kinds first, then
        names starting with what was typed, then alphabetical."""
        words = fold(text).split()
        if not words:
            return []
        start = fold(text).strip()
        preferred = self.preferred
        hits = [(name, c) for name, c in self._folded if all(w in name for w in words)]
        hits.sort(
            key=lambda h: (
                bool(preferred) and h[1].kind not in preferred,
                not h[0].startswith(start),
                h[0],
            )
        )
        return [c for _n, c in hits[: self.LIMIT]]

    def prefer(self, kinds: frozenset[str]) -> None:
        """Suggest partners of ``kinds`` first (none: no preference), e.g. a role's kinds."""
        if kinds == self.preferred:
            return
        self.preferred = kinds
        if self._shown:  # open (and so composed): order what is shown anew
            self._suggest(self.input.value)

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
        self._suggest(typed)

    def _suggest(self, typed: str) -> None:
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
            self.call_after_refresh(self.reveal)  # once the open list has its size

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.suggestions.highlighted
        if not (self.is_open and index is not None and 0 <= index < len(self._shown)):
            return
        if not self.suggestions_on_screen():
            self.reveal()  # the operator has not seen what Enter would pick: show it first
            return
        self._pick(self._shown[index])

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if event.widget is self.input:
            self.call_after_refresh(self.reveal)

    def suggestions_on_screen(self) -> bool:
        """Whether the open suggestions are drawn whole, not clipped by a scrolling container."""
        try:
            geometry = self.screen.find_widget(self.suggestions)
        except (NoWidget, NoMatches):
            return False
        return bool(geometry.region) and geometry.visible_region == geometry.region

    def reveal(self) -> None:
        """Scroll the nearest scrolling container so the input and its suggestions show.

        With the list closed, :attr:`LIST_ROWS` rows below the input are brought
        into view too, so that the list has room when it opens.
        """
        if not self.is_attached:
            return
        region = self.region
        if not region:
            return
        if not self.is_open:
            region = Region(region.x, region.y, region.width, region.height + self.LIST_ROWS)
        container = next(
            (a for a in self.ancestors if isinstance(a, Widget) and a.allow_vertical_scroll), None
        )
        if container is None:
            return
        window = container.scrollable_content_region
        virtual = region.translate(-window.offset).translate(container.scroll_offset)
        container.scroll_to_region(virtual, animate=False, immediate=True, x_axis=False)

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
