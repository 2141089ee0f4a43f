"""Generic care of a pact's type-specific details, whatever the plugin's model.

Details are free JSON validated by the pact type's ``Details`` model, which
core does not know. Two operations need to reach inside them anyway:

- deleting a partner with "detach" must not leave its id in the details (a
  school or an association listed there would point at nothing);
- continuing a pact for next year must not copy last year's calendar
  unchanged (the planner would plan the new edition in the old year).

Both walk the JSON by the conventions every built-in type follows: partner
references are ``partner_id`` fields (or ``partner_ids`` lists) of the
entries of lists, and dates are ISO strings (school years ``2021/22``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SCHOOL_YEAR = re.compile(r"(\d{4})/(\d{2})")


def mentions_partner(details: Any, partner_id: int) -> bool:
    """Whether ``partner_id`` appears as a ``partner_id`` (or in ``partner_ids``)."""
    if isinstance(details, dict):
        if details.get("partner_id") == partner_id:
            return True
        ids = details.get("partner_ids")
        if isinstance(ids, list) and partner_id in ids:
            return True
        return any(mentions_partner(v, partner_id) for v in details.values())
    if isinstance(details, list):
        return any(mentions_partner(v, partner_id) for v in details)
    return False


def without_partner(details: Any, partner_id: int) -> Any:
    """``details`` without the list entries that stand for ``partner_id`` (a school, an
    association, a speaker) and without it in ``partner_ids`` lists."""
    if isinstance(details, dict):
        cleaned = {k: without_partner(v, partner_id) for k, v in details.items()}
        ids = cleaned.get("partner_ids")
        if isinstance(ids, list):
            cleaned["partner_ids"] = [i for i in ids if i != partner_id]
        return cleaned
    if isinstance(details, list):
        return [
            without_partner(v, partner_id)
            for v in details
            if not (isinstance(v, dict) and v.get("partner_id") == partner_id)
        ]
    return details


def shifted_years(details: Any, years: int) -> Any:
    """``details`` with every ISO date and school year moved by ``years`` (29 February
    becomes the 28th): next year's edition starts from this year's calendar."""
    if isinstance(details, dict):
        return {k: shifted_years(v, years) for k, v in details.items()}
    if isinstance(details, list):
        return [shifted_years(v, years) for v in details]
    if not isinstance(details, str) or not years:
        return details
    if match := _ISO_DATE.fullmatch(details):
        year, month, day = (int(g) for g in match.groups())
        try:
            return date(year + years, month, day).isoformat()
        except ValueError:  # 29 February in a common year
            return date(year + years, month, day - 1).isoformat()
    if match := _SCHOOL_YEAR.fullmatch(details):
        first = int(match.group(1)) + years
        return f"{first}/{(first + 1) % 100:02d}"
    return details
