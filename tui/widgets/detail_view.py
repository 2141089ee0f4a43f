"""A scrolling pane of styled text that can change without a layout of the screen.

The detail panes next to the lists change on every move of the cursor. As
a ``Static`` of ``height: auto`` in a ``VerticalScroll``, each change
asked Textual for a layout of the whole screen (the text's height may
have changed), wrapped the text twice (to measure it, then to draw it) and
repainted what the new layout moved: two thirds of the time of one step
down the pact list. This pane draws its text with the Line API (as
:class:`~textual.widgets.Log` does): the text is wrapped once per change or
resize, the rows on screen are drawn from those lines, and a new text only
repaints the pane. The screen is laid out again only when the scrollbar
appears or goes away.

:meth:`render` returns the text shown, so Textual's mouse selection and
copy work as on a ``Static``. The text is ``Content``: stored text in it is
never markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual


class DetailView(ScrollView, can_focus=True):
    """Styled text in a pane that scrolls (arrows, page keys, wheel) when it is focused."""

    DEFAULT_CSS = """
    DetailView {
        height: 1fr;
        padding: 0 0 0 1;  /* and a blank column on the right: see MARGIN */
        overflow-x: hidden;
    }
    """

    #: A blank column right of the text, left of the scrollbar (a right padding would put
    #: the scrollbar inside it, one column in from the pane's edge).
    MARGIN = 1

    ALLOW_SELECT = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._content = Content("")
        self._lines: list[Strip] | None = None  # the text wrapped to the pane, or stale

    @property
    def content(self) -> Content:
        """The text shown."""
        return self._content

    def render(self) -> Content:
        """The whole text (what a selection copies; rows are drawn by :meth:`render_line`)."""
        return self._content

    def show(self, content: Content, *, top: bool = True) -> None:
        """Show ``content``, from its first line (``top``) or where the pane was scrolled."""
        self._content = content
        self._lines = None
        if top and self.scroll_y:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._wrap()
        self.refresh()

    def _wrap(self) -> list[Strip]:
        """The text's lines at the pane's width; the scrollable height follows them without
        a layout (only a scrollbar that appears or goes away asks for one)."""
        if self._lines is not None:
            return self._lines
        box = self.content_region  # the scrollbar's columns included
        if box.width <= 0:
            return []  # not laid out yet: the first resize wraps the text
        width = box.width
        lines = self._strips(width)
        bar = self.styles.scrollbar_size_vertical
        if len(lines) > box.height and bar and width > bar:
            width -= bar  # too long for the pane: wrapped beside its scrollbar
            lines = self._strips(width)
        self._lines = lines
        size = Size(width, len(lines))
        if size != self.virtual_size:
            self.set_reactive(DetailView.virtual_size, size)  # the reactive would lay out
            self._scroll_update(size)
        return lines

    def _strips(self, width: int) -> list[Strip]:
        """The lines at ``width`` less the margin (:meth:`render_line` pads them out)."""
        text = max(width - self.MARGIN, 1)
        return Visual.to_strips(self, self._content, text, None, self.visual_style, pad=True)

    def on_resize(self, event: Resize) -> None:
        self._lines = None
        self._wrap()
        self.refresh()

    def selection_updated(self, selection: Selection | None) -> None:
        self._lines = None  # the selection is drawn into the lines
        self.refresh()

    def render_line(self, y: int) -> Strip:
        lines = self._wrap()
        width = self.virtual_size.width
        index = self.scroll_offset.y + y
        style = self.visual_style.rich_style
        if 0 <= index < len(lines):
            return lines[index].crop_extend(0, width, style)
        return Strip.blank(width, style)
