"""Pick zones or themes by their labels; the record keeps their keys (slugs).

Reference data names a zone or a theme with a slug (``mutual-knowledge``);
operators know it by its label ("Conoscenza reciproca"). The picker shows
the labels in the interface's language, matches what is typed against every
label and the slug (ignoring case and accents), and shows the chosen ones as
chips under the input. Keyboard first: type to filter, Down lists them all,
Enter toggles the highlighted one, Backspace in the empty input removes the
last chip; a click on a chip removes it too.

A slug with no label (a hand-edited file, a plugin no longer loaded) is kept
and shown as it is: dropping it would change data the operator never
touched. Labels come from plugins, so they are shown as text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from patti.core.i18n import N_, _
from patti.core.reference import ReferenceData
from patti.core.search import fold
from patti.core.text import clean_text, without_controls

from ..localise import localise_bindings


@dataclass(frozen=True)
class LabelItem:
    """One choice: the slug stored, the label shown, and other names that find it."""

    key: str
    label: str
    #: More names to match (a theme's label in the other language).
    aliases: tuple[str, ...] = ()
    #: False for a slug the reference data does not name: shown as it is, in italics.
    labelled: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """Everything an operator may type to mean this item, folded."""
        return tuple(fold(n) for n in (self.label, *self.aliases, self.key))


def _sorted(items: Iterable[LabelItem]) -> list[LabelItem]:
    return sorted(items, key=lambda i: (fold(i.label), i.key))


def _with_extra(items: list[LabelItem], extra: Iterable[str]) -> list[LabelItem]:
    """``items`` plus a bare item for each slug in ``extra`` they lack (slugs from the data)."""
    keys = {i.key for i in items}
    items += [LabelItem(k, k, labelled=False) for k in dict.fromkeys(extra) if k not in keys]
    return _sorted(items)


def zone_items(reference: ReferenceData | None, extra: Iterable[str] = ()) -> list[LabelItem]:
    """The reference data's zones by label, plus the slugs in ``extra`` it lacks."""
    zones = reference.zones if reference is not None else []
    return _with_extra([LabelItem(z.key, clean_text(z.label) or z.key) for z in zones], extra)


def theme_items(reference: ReferenceData | None, extra: Iterable[str] = ()) -> list[LabelItem]:
    """The reference data's themes labelled in the active language; either language finds
    them (an operator may know a theme by its English slug)."""
    themes = reference.themes if reference is not None else []
    items = [
        LabelItem(
            t.key,
            clean_text(t.label) or t.key,
            (clean_text(t.label_it), clean_text(t.label_en)),
        )
        for t in themes
    ]
    return _with_extra(items, extra)


def new_slug(text: str) -> str:
    """The slug an operator means by ``text`` ("Borgo Nuovo" -> ``borgo-nuovo``)."""
    return re.sub(r"[^a-z0-9_-]+", "-", fold(text)).strip("-_")[:80].rstrip("-_")


@dataclass(frozen=True)
class _New:
    """The option that adds a slug the list does not have."""

    key: str


#: What one row of the suggestions stands for: an item's key, a new slug, or nothing.
_Entry = str | _New | None


class PickerInput(Input):
    """The picker's input: Backspace with nothing typed removes the last chip."""

    @dataclass
    class RemoveLast(Message):
        """Backspace in the empty input."""

    def action_delete_left(self) -> None:
        if not self.value and self.selection.is_empty:
            self.post_message(self.RemoveLast())
            return
        super().action_delete_left()


class PickerChips(Widget):
    """The chosen items, wrapped between chips and never inside one (Textual's wrapping
    would break "Santa Maria | della Croce"); each chip runs ``unpick`` when clicked."""

    DEFAULT_CSS = """
    PickerChips {
        height: auto;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._chips: list[Content] = []

    def show(self, chips: Sequence[Content]) -> None:
        self._chips = list(chips)
        self.refresh(layout=True)

    @property
    def text(self) -> str:
        """The chips on one line, as plain text."""
        return " ".join(chip.plain for chip in self._chips)

    def arranged(self, width: int) -> Content:
        """The chips in lines of at most ``width`` cells (a longer chip has a line of its own)."""
        lines: list[list[Content]] = [[]]
        used = 0
        for chip in self._chips:
            if lines[-1] and used + 1 + chip.cell_length > width:
                lines.append([])
                used = 0
            used += chip.cell_length + (1 if lines[-1] else 0)
            lines[-1].append(chip)
        return Content("\n").join(Content(" ").join(line) for line in lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.arranged(width).wrap(width)) if self._chips else 0

    def render(self) -> Content:
        return self.arranged(self.content_size.width)

    def action_unpick(self, index: int) -> None:
        picker = self.parent
        if isinstance(picker, LabelPicker):
            picker.unpick(index)


class LabelPicker(Vertical):
    """A multi-select of labelled slugs: an input with suggestions, and chips.

    :attr:`values` are the chosen slugs, in the order they were chosen. Posts
    :class:`Changed` when the operator types or the choice changes.
    """

    DEFAULT_CSS = """
    LabelPicker {
        height: auto;
        width: 1fr;
    }
    LabelPicker > OptionList {
        height: auto;
        max-height: 8;
        display: none;
    }
    LabelPicker > OptionList.-open {
        display: block;
    }
    LabelPicker > PickerChips {
        height: auto;
        display: none;
        padding: 0 1;
    }
    LabelPicker > PickerChips.-shown {
        display: block;
    }
    LabelPicker.-compact > PickerChips {
        padding: 0;
    }
    LabelPicker.-invalid > Input {
        border: tall $error 60%;
    }
    LabelPicker.-invalid > Input:focus {
        border: tall $error;
    }
    LabelPicker.-invalid > Input.-textual-compact {
        background-tint: $error 20%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", N_("Next suggestion"), show=False, id="labels.next"),
        Binding("up", "move(-1)", N_("Previous suggestion"), show=False, id="labels.prev"),
        Binding("escape", "close", N_("Close suggestions"), show=False, id="labels.close"),
    ]

    @dataclass
    class Changed(Message):
        """The choice or the typed text changed."""

        picker: LabelPicker

        @property
        def control(self) -> LabelPicker:
            return self.picker

    def __init__(
        self,
        items: Sequence[LabelItem],
        selected: Sequence[str] = (),
        *,
        placeholder: str = "",
        compact: bool = False,
        allow_new: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="-compact" if compact else "")
        localise_bindings(self)
        self.items: dict[str, LabelItem] = {i.key: i for i in items}
        for key in selected:  # kept whatever the reference data says
            self.items.setdefault(key, LabelItem(key, key, labelled=False))
        self._values: list[str] = list(dict.fromkeys(selected))
        self._placeholder = placeholder
        self._compact = compact
        self.allow_new = allow_new
        self._shown: list[_Entry] = []

    def compose(self) -> ComposeResult:
        yield PickerInput(placeholder=self._placeholder, compact=self._compact, max_length=300)
        yield OptionList()
        yield PickerChips()

    def on_mount(self) -> None:
        self.suggestions.can_focus = False  # the typing stays in the input
        self._show_chips()

    # -- what the form reads

    @property
    def input(self) -> Input:
        return self.query_one(PickerInput)

    @property
    def suggestions(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def values(self) -> list[str]:
        """The chosen slugs."""
        return list(self._values)

    @property
    def typed(self) -> str:
        return self.input.value

    def state(self) -> tuple[tuple[str, ...], str]:
        """The choice and the typed text: what tells an edited form from an untouched one."""
        return tuple(self._values), self.typed

    @property
    def is_open(self) -> bool:
        return self.suggestions.has_class("-open")

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focusing the picker focuses its input."""
        self.input.focus(scroll_visible)
        return self

    def label_of(self, key: str) -> str:
        item = self.items.get(key)
        return item.label if item is not None else key

    # -- matching

    def matches(self, text: str) -> list[LabelItem]:
        """Items whose names hold every typed word; labels starting with it first."""
        words = fold(text).split()
        items = list(self.items.values())
        if not words:
            return _sorted(items)
        start = " ".join(words)
        hits = [i for i in items if all(any(w in n for n in i.names) for w in words)]
        return sorted(hits, key=lambda i: (not fold(i.label).startswith(start), fold(i.label)))

    def exact(self, text: str) -> LabelItem | None:
        """The item ``text`` names exactly (a label in either language, or the slug)."""
        wanted = " ".join(fold(text).split())
        return next((i for i in self.items.values() if wanted in i.names), None)

    def resolve_typed(self) -> str | None:
        """Choose what is typed when each comma-separated part names exactly one item.

        Saving must not drop text the operator typed but did not pick: it is
        either chosen here, or the problem is returned and nothing changes.
        """
        text = clean_text(self.typed)
        if not text:
            return None
        found: list[str] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            item = self.exact(part)
            if item is None:
                return _(
                    "“{text}” is not in the list: choose a suggestion with Enter, or clear it."
                ).format(text=part)
            found.append(item.key)
        self._values.extend(k for k in dict.fromkeys(found) if k not in self._values)
        self._show_chips()
        self.input.value = ""  # posts Changed
        return None

    # -- showing

    def _show_chips(self) -> None:
        chips = self.query_one(PickerChips)
        parts: list[Content] = []
        for index, key in enumerate(self._values):
            item = self.items[key]
            chip = Content.from_markup(f"[@click=unpick({index})] $label ✕ [/]", label=item.label)
            chip = chip.stylize("on $boost" if item.labelled else "italic on $boost")
            parts.append(chip)
        chips.show(parts)
        chips.set_class(bool(self._values), "-shown")

    def _entries(self, text: str) -> list[_Entry]:
        """The matches; when nothing matches, a line saying so and the option that adds
        the typed name (under that line, so that Enter alone never adds a typo)."""
        entries: list[_Entry] = [i.key for i in self.matches(text)]
        if entries:
            return entries
        slug = new_slug(text)
        if self.allow_new and slug and slug not in self.items:
            return [None, _New(slug)]
        return [None]

    def _prompt(self, entry: _Entry, text: str) -> Text:
        if isinstance(entry, _New):
            return Text("+ " + _("add “{value}”, not in the list").format(value=entry.key))
        if entry is None and not text.strip():
            return Text(_("Nothing to choose from: type a name to add one."))
        if entry is None:
            return Text(_("Nothing matches “{text}”.").format(text=clean_text(text)))
        item = self.items[entry]
        prompt = Text("✓ " if entry in self._values else "  ")
        prompt.append(item.label, style="" if item.labelled else "italic")
        return prompt

    def _open(self, highlight: int = 0) -> None:
        text = self.typed
        self._shown = self._entries(text)
        options = self.suggestions
        options.clear_options()
        options.add_options(
            Option(self._prompt(entry, text), disabled=entry is None) for entry in self._shown
        )
        options.add_class("-open")
        if self._shown[0] is not None:
            options.highlighted = min(highlight, len(self._shown) - 1)

    def _close(self) -> None:
        self._shown = []
        self.suggestions.clear_options()
        self.suggestions.remove_class("-open")

    # -- choosing

    def _toggle(self, index: int) -> None:
        if not 0 <= index < len(self._shown):
            return
        entry = self._shown[index]
        if entry is None:
            return
        if isinstance(entry, _New):
            self.items[entry.key] = LabelItem(entry.key, entry.key, labelled=False)
            self._values.append(entry.key)
        elif entry in self._values:
            self._values.remove(entry)
        else:
            self._values.append(entry)
        self._show_chips()
        if self.typed:
            self.input.value = ""  # closes the suggestions, posts Changed
        else:  # browsing the whole list: stay on it to choose more
            self._open(highlight=index)
            self.post_message(self.Changed(self))

    def unpick(self, index: int) -> None:
        """Remove the chip at ``index``."""
        if 0 <= index < len(self._values):
            del self._values[index]
            self._show_chips()
            if self.is_open:
                self._open(self.suggestions.highlighted or 0)
            self.post_message(self.Changed(self))
            self.input.focus()

    # -- events and keys

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        clean = without_controls(event.value)
        if clean != event.value:
            event.input.value = clean  # raises Changed again, with the clean text
            return
        if clean.strip():
            self._open()
        else:
            self._close()
        self.post_message(self.Changed(self))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.is_open and self.suggestions.highlighted is not None:
            self._toggle(self.suggestions.highlighted)
        elif self.typed.strip():
            self._open()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._toggle(event.option_index)
        self.input.focus()

    @on(PickerInput.RemoveLast)
    def _remove_last(self, event: PickerInput.RemoveLast) -> None:
        event.stop()
        if self._values:
            self.unpick(len(self._values) - 1)

    def on_descendant_blur(self) -> None:
        self._close()  # Tab moves on: the suggestions must not hang over the next field

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close" or (action == "move" and parameters == (-1,)):
            return self.is_open  # otherwise the key goes on (escape: to the form)
        return True

    def action_move(self, step: int) -> None:
        if not self.is_open:
            self._open()  # Down with the list closed: show it
            return
        options = self.suggestions
        first = 1 if self._shown[0] is None else 0  # the "nothing matches" line
        current = options.highlighted if options.highlighted is not None else first - step
        options.highlighted = min(max(current + step, first), len(self._shown) - 1)

    def action_close(self) -> None:
        self._close()


__all__ = ["LabelItem", "LabelPicker", "new_slug", "theme_items", "zone_items"]
