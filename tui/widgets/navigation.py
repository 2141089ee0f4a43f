"""The line under the header naming every screen and its function key.

The footer has room for the current screen's own actions only; this bar
keeps the way to every other screen in sight, with the current one marked.
A click on a name goes there too.
"""

from __future__ import annotations

from textual.content import Content
from textual.events import Click
from textual.widgets import Static

from patti.core.i18n import _


class NavigationBar(Static):
    """``F2 Dashboard  F3 Pacts …`` with the current screen highlighted."""

    DEFAULT_CSS = """
    NavigationBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str) -> None:
        super().__init__(id="navigation-bar")
        self.current = current
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        from ..screens import NAVIGATION, SCREENS

        parts: list[str | tuple[str, str]] = []
        offset = 0
        for target in NAVIGATION:
            if target.mode not in SCREENS:
                continue
            key, label = target.key.upper(), _(target.label)
            style = "bold reverse" if target.mode == self.current else "bold"
            parts.extend([(key, "bold $accent"), " ", (label, style), "  "])
            width = len(key) + 1 + len(label)
            self._spans.append((offset, offset + width, target.mode))
            offset += width + 2
        self.update(Content.assemble(*parts))

    async def on_click(self, event: Click) -> None:
        x = event.x - 1  # the padding
        for start, end, mode in self._spans:
            if start <= x < end:
                await self.app.run_action(f"go('{mode}')")
                return
