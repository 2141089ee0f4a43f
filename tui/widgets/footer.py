"""Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer removes and mounts every key again each time the screen
says its bindings *may* have changed: on each focus change, each
``refresh_bindings()``, each reactive declared with ``bindings=True``. One
visit to a list screen set that off nine or ten times, about 120 ms of
widgets built, styled and thrown away (measured at 1,000 records). This
footer coalesces the requests that arrive before the next refresh into one,
and rebuilds only if what it would show (keys, descriptions, enabled state,
groups) differs from what it shows.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class PattiFooter(Footer):
    """A :class:`~textual.widgets.Footer` that recomposes only when its keys change."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = False
        self._drawn: Hashable | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return  # as Footer: the keys are read again when the app has focus
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_later(self._rebuild)

    def _shown(self) -> Hashable:
        """What :meth:`compose` would show, as a comparable value."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.show,
                (binding.group.description, binding.group.compact) if binding.group else None,
                enabled,
                tooltip,
            )
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return (keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._shown()
        if shown == self._drawn:
            return
        self._drawn = shown
        await self.recompose()
