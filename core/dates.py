"""Dates as Italian operators type and read them.

Operators write ``31/12/2021``; files and the JSON API use ISO
``2021-12-31``. Both are accepted everywhere; Italian output uses a
four-digit year (Babel's "short" Italian pattern gives ``31/12/21``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .i18n import _, current_language

_IT_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_IT_DATETIME = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2}))?\s*$"
)


def parse_date(value: str) -> date:
    """Parse ``dd/mm/yyyy`` or ISO ``yyyy-mm-dd``; ``ValueError`` with a readable message."""
    match = _IT_DATE.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("{value!r} is not a valid date (use DD/MM/YYYY)").format(value=value)
        ) from None


def parse_datetime(value: str) -> datetime:
    """Parse ``dd/mm/yyyy HH:MM`` (time optional) or ISO."""
    match = _IT_DATETIME.match(value)
    try:
        if match:
            day, month, year, hour, minute = match.groups()
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("{value!r} is not a valid date and time (use DD/MM/YYYY HH:MM)").format(value=value)
        ) from None


def lenient_date(value: Any) -> Any:
    """Pydantic before-validator: turn Italian text dates into dates, leave the rest."""
    if isinstance(value, str) and _IT_DATE.match(value):
        return parse_date(value)
    return value


def lenient_datetime(value: Any) -> Any:
    if isinstance(value, str) and _IT_DATETIME.match(value):
        return parse_datetime(value)
    return value


def format_date(value: date | None) -> str:
    """``31/12/2021`` in Italian, ``2021-12-31`` in English (unambiguous)."""
    if value is None:
        return ""
    if current_language() == "it":
        return value.strftime("%d/%m/%Y")
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if current_language() == "it":
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%Y-%m-%d %H:%M")
