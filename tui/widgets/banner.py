"""The read-only banner: an operator must see at once that edits are not possible."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class ReadOnlyBanner(Static):
    """Says who holds the store; text is shown literally, never as markup."""

    DEFAULT_CSS = """
    ReadOnlyBanner {
        height: auto;
        padding: 0 1;
        background: $warning;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, reason: str) -> None:
        super().__init__(Content(reason), id="readonly-banner")
