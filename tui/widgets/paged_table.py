"""A table that stays instant at 100,000 rows: it draws one page of them.

Textual's DataTable, measured here, takes 2.8 s to fill with 10,000 rows and
29 s with 100,000. This widget holds the keys of every matching row but
builds cells only for the page shown (``PAGE_SIZE`` rows), so filling it
costs the same at any size; ``]`` and ``[`` turn the page, and a status line
says which rows are shown out of how many. Cells are ``Text``: stored text
is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from patti.core.i18n import N_, _, ngettext

from ..localise import localise_bindings

K = TypeVar("K", bound=Hashable)

PAGE_SIZE = 200


@dataclass(frozen=True)
class Column:
    """A column: its key and its (translated) heading."""

    key: str
    label: str


class PageTable(DataTable[Text]):
    """The page's DataTable: the arrow keys go on to the next or previous page at its ends,
    so scrolling through every row needs no other key."""

    def action_cursor_down(self) -> None:
        paged = self.parent
        if (
            isinstance(paged, PagedTable)
            and self.cursor_row >= self.row_count - 1
            and paged.page < paged.pages - 1
        ):
            paged.turn(1)
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        paged = self.parent
        if isinstance(paged, PagedTable) and self.cursor_row <= 0 and paged.page > 0:
            paged.turn(-1, at_end=True)
            return
        super().action_cursor_up()


class PagedTable(Vertical, Generic[K]):
    """Rows given as keys plus a function that renders one row's cells."""

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
    }
    PagedTable > DataTable {
        height: 1fr;
    }
    PagedTable > .paged-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Not in the footer: the status line under the table says "] next page, [ previous".
        Binding(
            "right_square_bracket", "page(1)", N_("Next page"), show=False, id="table.next-page"
        ),
        Binding(
            "left_square_bracket", "page(-1)", N_("Previous page"), show=False, id="table.prev-page"
        ),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on the row of ``key`` (``None``: the table is empty)."""

        table: PagedTable[Hashable]
        key: Hashable | None

        @property
        def control(self) -> PagedTable[Hashable]:
            """Lets handlers use ``@on(PagedTable.Highlighted, "#id")``."""
            return self.table

    @dataclass
    class Selected(Message):
        """Enter (or a click) on the row of ``key``."""

        table: PagedTable[Hashable]
        key: Hashable

        @property
        def control(self) -> PagedTable[Hashable]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        page_size: int = PAGE_SIZE,
        widths: Callable[[Sequence[K]], Mapping[str, int | None]] | None = None,
        id: str | None = None,
    ) -> None:
        """``widths(page_keys)``, if given, fixes column widths (by key; ``None`` fits the
        content) for each page drawn: a fixed-width cell is cut with an ellipsis on screen
        and keeps its whole text in the table."""
        super().__init__(id=id)
        localise_bindings(self)
        self.columns = list(columns)
        self.page_size = page_size
        self._fit = widths
        self._widths: dict[str, int | None] = {}
        self.page = 0
        self._keys: Sequence[K] = ()
        self._cells: Callable[[K], Sequence[str | Text]] = lambda key: ()
        self._shown: list[K] = []

    def compose(self) -> ComposeResult:
        yield PageTable(cursor_type="row", zebra_stripes=True)
        yield Static(classes="paged-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in self.columns:
            table.add_column(column.label, key=column.key)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    @property
    def keys(self) -> Sequence[K]:
        return self._keys

    def set_rows(
        self,
        keys: Sequence[K],
        render: Callable[[K], Sequence[str | Text]],
        *,
        keep: K | None = None,
        redraw: bool = True,
    ) -> None:
        """Show ``keys`` (all matching rows), rendering cells only for the visible page.

        ``keep`` puts the cursor back on that row if it is still there. With
        ``redraw=False`` the same keys as now (a keystroke that did not change
        the hits) cost nothing: the rows drawn are already right.
        """
        if not redraw and keys == self._keys and (keep is None or keep == self.current()):
            self._keys = keys  # the rows drawn are right: only the (equal) answer is kept
            self._cells = render
            return
        self._keys = keys
        self._cells = render
        self.page = 0
        target = None
        if keep is not None:
            try:
                index = list(keys).index(keep)
            except ValueError:
                index = None
            if index is not None:
                self.page, target = divmod(index, self.page_size)
        self._draw(target or 0)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self._keys) // self.page_size))

    def redraw(self) -> None:
        """Render the shown page again if its cells' widths changed (the terminal was
        resized), the cursor kept. The first layout of a screen resizes it too: the page
        drawn with the widths guessed before it is kept when the guess was right."""
        if self._fit is not None and dict(self._fit(self._shown)) == self._widths:
            return
        self._draw(max(self.table.cursor_row, 0))

    def action_page(self, step: int) -> None:
        self.turn(step)

    def turn(self, step: int, *, at_end: bool = False) -> None:
        """Show the page ``step`` pages on, the cursor on its first (or last) row."""
        page = min(max(self.page + step, 0), self.pages - 1)
        if page != self.page:
            self.page = page
            self._draw(self.page_size - 1 if at_end else 0)

    def _draw(self, row: int) -> None:
        table = self.table
        first = self.page * self.page_size
        self._shown = list(self._keys[first : first + self.page_size])
        widths = dict(self._fit(self._shown)) if self._fit is not None else self._widths
        if widths != self._widths:
            self._widths = widths
            table.clear(columns=True)
            for column in self.columns:
                table.add_column(column.label, key=column.key, width=widths.get(column.key))
        else:
            table.clear()
        for index, key in enumerate(self._shown):
            cells = [c if isinstance(c, Text) else Text(str(c)) for c in self._cells(key)]
            table.add_row(*cells, key=str(index))
        self._status()
        if self._shown:
            table.move_cursor(row=min(row, len(self._shown) - 1))
        else:
            self.post_message(self.Highlighted(self, None))  # type: ignore[arg-type]

    def _status(self) -> None:
        total = len(self._keys)
        if total == 0:
            text = _("No rows.")
        elif total <= self.page_size:
            text = ngettext("{n} row.", "{n} rows.", total).format(n=total)
        else:
            first = self.page * self.page_size + 1
            last = first + len(self._shown) - 1
            text = _("Rows {first}–{last} of {total}: ] next page, [ previous.").format(
                first=first, last=last, total=total
            )
        self.query_one(".paged-status", Static).update(Text(text))

    def neighbour(self, key: K) -> K | None:
        """The row after ``key`` (else the one before): where the cursor goes when the
        row of ``key`` is deleted."""
        keys = list(self.keys)
        index = keys.index(key) if key in keys else len(keys)
        after = keys[index + 1 : index + 2] or keys[max(index - 1, 0) : index]
        return after[0] if after else None

    def current(self) -> K | None:
        """The key of the row under the cursor."""
        row = self.table.cursor_row
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def focus_table(self) -> None:
        self.table.focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self, self._key_of(event.row_key.value)))  # type: ignore[arg-type]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self._key_of(event.row_key.value)
        if key is not None:
            self.post_message(self.Selected(self, key))  # type: ignore[arg-type]

    def _key_of(self, row_key: str | None) -> K | None:
        if row_key is None:
            return None
        index = int(row_key)
        return self._shown[index] if 0 <= index < len(self._shown) else None


def clip(value: str, width: int) -> Text:
    """A cell cut to ``width`` cells with an ellipsis, as plain text (never markup)."""
    text = Text(value, no_wrap=True)
    text.truncate(width, overflow="ellipsis")
    return text


def cell(value: str) -> Text:
    """A cell as plain text (never markup) that a fixed-width column cuts with an ellipsis."""
    return Text(value, no_wrap=True, overflow="ellipsis", end="")
