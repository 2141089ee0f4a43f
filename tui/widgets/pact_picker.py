"""Pick one pact by typing part of its code or title: a filter that stays quick at
province scale.

A drop-down of every pact held 10,000 options at 100,000 records: Textual
built all of them the first time the agenda was shown (about half a second)
and nobody could find a pact in it. This picker is an input with at most
:attr:`PactPicker.LIMIT` suggestions, found in the store's shared
:class:`~patti.core.search.PactIndex` as the operator types (every typed
word, anywhere in the code or title, ignoring case and accents; codes that
start with what was typed first, then the newest). Down opens the
suggestions (the newest pacts when nothing is typed), Enter or a click picks
one, Escape closes them; emptying the input means "all pacts". The input
shows the chosen pact's code and title, and only that: text typed but not
picked is put back when the focus moves on, so the filter always is what
the input says. Codes and titles are data: shown as ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from patti.core.i18n import N_, _
from patti.core.search import PactEntry, PactIndex, fold
from patti.core.text import clean_text, without_controls

from ..localise import localise_bindings


@dataclass(frozen=True)
class PactChoice:
    """A pact as the picker offers it."""

    pact_id: int
    code: str
    title: str

    @property
    def label(self) -> str:
        """``PdC-2021-02 · Title``, as the input shows the chosen pact."""
        return clean_text(f"{self.code} · {self.title}")


def _choice(entry: PactEntry) -> PactChoice:
    return PactChoice(entry.id, entry.code, entry.title)


class PactPicker(Vertical):
    """An input that finds pacts as the operator types; posts :class:`Changed` when the
    chosen pact changes (``None``: all pacts)."""

    DEFAULT_CSS = """
    PactPicker {
        height: auto;
        width: 1fr;
    }
    PactPicker > OptionList {
        display: none;
        width: 72;  /* wider than the filter: codes and titles in full, one a line */
        height: auto;
        max-height: 10;
        overlay: screen;
        constrain: none inside;
        border: tall $border-blurred;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    PactPicker > OptionList.-open {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", N_("Next suggestion"), show=False, id="pact-picker.next"),
        Binding("up", "move(-1)", N_("Previous suggestion"), show=False, id="pact-picker.prev"),
        Binding("escape", "close", N_("Close suggestions"), show=False, id="pact-picker.close"),
    ]

    #: Suggestions shown at most.
    LIMIT = 8

    @dataclass
    class Changed(Message):
        """The chosen pact is now ``value`` (``None``: all pacts)."""

        picker: PactPicker
        value: int | None

        @property
        def control(self) -> PactPicker:
            return self.picker

    def __init__(self, index: PactIndex, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        localise_bindings(self)
        self.index = index
        self._placeholder = placeholder
        self._chosen: PactChoice | None = None
        self._shown: list[PactChoice] = []
        # Folded "code title" of every pact, newest first, for the index version it was
        # read at: one pass over 10,000 short strings per keystroke is well under 1 ms.
        self._haystack: list[tuple[str, str, PactEntry]] = []
        self._read_at = -2

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self._placeholder, compact=True, max_length=300)
        yield OptionList()

    def on_mount(self) -> None:
        self.suggestions.can_focus = False  # the typing stays in the input

    # -- what the screen reads and sets -------------------------------------------------

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def suggestions(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def value(self) -> int | None:
        """The chosen pact's id, ``None`` for all pacts."""
        return self._chosen.pact_id if self._chosen is not None else None

    @property
    def is_open(self) -> bool:
        return self.suggestions.has_class("-open")

    def focus_input(self) -> None:
        self.input.focus()

    def clear(self) -> None:
        """All pacts (posts :class:`Changed` if a pact was chosen)."""
        self._choose(None)

    def sync(self, pacts: Mapping[int, Mapping[str, Any]]) -> None:
        """After the store changed (``pacts``: every stored pact document by id): the chosen
        pact's new code or title, or all pacts again if it was deleted (without a message:
        the caller reloads anyway)."""
        if self._chosen is None:
            return
        doc = pacts.get(self._chosen.pact_id)
        choice = None
        if doc is not None:
            code, title = str(doc.get("code", "")), str(doc.get("title", ""))
            choice = PactChoice(self._chosen.pact_id, code, title)
        with self.prevent(self.Changed):
            self._choose(choice)

    # -- matching -------------------------------------------------------------------------

    def matches(self, text: str) -> list[PactChoice]:
        """Pacts whose code or title holds every typed word: codes starting with the
        typed text first, then the newest (all pacts, newest first, for no text)."""
        index = self.index
        index.refresh()
        if self._read_at != index.version:
            self._haystack = [
                (fold(f"{e.code} {e.title}"), fold(e.code), e) for e in index.ordered("year")
            ]
            self._read_at = index.version
        words = fold(text).split()
        start = " ".join(words)
        first: list[PactEntry] = []  # codes starting with what was typed
        rest: list[PactEntry] = []
        for folded, code, entry in self._haystack:
            if not all(w in folded for w in words):
                continue
            if start and code.startswith(start):
                first.append(entry)
                if len(first) >= self.LIMIT:
                    break
            elif len(rest) < self.LIMIT:
                rest.append(entry)
                if not start and len(rest) >= self.LIMIT:
                    break
        return [_choice(e) for e in (first + rest)[: self.LIMIT]]

    # -- showing --------------------------------------------------------------------------

    def _open(self, text: str) -> None:
        self._shown = self.matches(text)
        options = self.suggestions
        options.clear_options()
        if self._shown:
            options.add_options(Option(self._prompt(c), id=str(c.pact_id)) for c in self._shown)
            options.highlighted = 0
        else:
            line = _("Nothing matches “{text}”.").format(text=clean_text(text))
            options.add_option(Option(Text(line), disabled=True))
        options.add_class("-open")

    @staticmethod
    def _prompt(choice: PactChoice) -> Text:
        prompt = Text(clean_text(choice.code), style="bold")
        prompt.append(" · ")
        prompt.append(clean_text(choice.title))
        return prompt

    def _close(self) -> None:
        self._shown = []
        self.suggestions.clear_options()
        self.suggestions.remove_class("-open")

    def _choose(self, choice: PactChoice | None) -> None:
        """Make ``choice`` the filter and show it in the input."""
        changed = (choice.pact_id if choice else None) != self.value
        self._chosen = choice
        label = choice.label if choice is not None else ""
        if self.input.value != label:
            with self.prevent(Input.Changed):
                self.input.value = label
            self.input.cursor_position = len(label)
        self._close()
        if changed:
            self.post_message(self.Changed(self, self.value))

    # -- events and keys ------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        typed = without_controls(event.value)
        if typed != event.value:
            event.input.value = typed  # raises Changed again, with the clean text
            return
        if self._chosen is not None and typed != self._chosen.label:
            self._chosen = None  # the input no longer names the chosen pact: all pacts
            self.post_message(self.Changed(self, None))
        if typed.strip():
            self._open(typed)
        else:
            self._close()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.suggestions.highlighted
        if self.is_open and self._shown and index is not None and 0 <= index < len(self._shown):
            self._choose(self._shown[index])
        elif not event.value.strip():
            self._choose(None)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._shown):
            self._choose(self._shown[event.option_index])
            self.input.focus()

    def on_descendant_blur(self) -> None:
        """Leaving the picker: the suggestions close and the input names the filter again,
        from its start (the code; coming back selects it all, so typing replaces it)."""
        self._choose(self._chosen)
        self.input.cursor_position = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close" or (action == "move" and parameters == (-1,)):
            return self.is_open  # otherwise the key goes on (escape: back to the list)
        return True

    def action_move(self, step: int) -> None:
        if not self.is_open:
            self._open(self.input.value if self._chosen is None else "")
            return
        if not self._shown:
            return
        options = self.suggestions
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = min(max(current + step, 0), len(self._shown) - 1)

    def action_close(self) -> None:
        self._close()


__all__ = ["PactChoice", "PactPicker"]
