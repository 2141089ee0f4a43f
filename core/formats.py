"""Numbers written the way the operator's language writes them, for every front end.

Kept apart from the Textual code so the CLI says "158,0 KB" and "1 patto, 2
attività" exactly as the TUI does, without importing Textual.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel.numbers import format_decimal

from .i18n import current_language, ngettext


def format_kilobytes(size: int) -> str:
    """``size`` bytes in KB with one decimal ("90,0" in Italian, "90.0" in English)."""
    return format_decimal(size / 1024, format="#,##0.0", locale=current_language())


def format_size(size: int) -> str:
    """A file size for people: KB below a megabyte, MB from there ("1,5 MB" in Italian)."""
    if size < 1024 * 1024:
        return f"{format_kilobytes(size)} KB"
    return f"{format_decimal(size / 1048576, format='#,##0.0', locale=current_language())} MB"


def record_counts(counts: Mapping[str, int]) -> str:
    """ "1 partner, 2 pacts, 1 activity", each word agreeing with its number."""
    partners, pacts, activities = counts["partners"], counts["pacts"], counts["activities"]
    return ", ".join(
        (
            ngettext("{n} partner", "{n} partners", partners).format(n=partners),
            ngettext("{n} pact", "{n} pacts", pacts).format(n=pacts),
            ngettext("{n} activity", "{n} activities", activities).format(n=activities),
        )
    )
