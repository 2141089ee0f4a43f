"""Details stay right when a partner is detached or a pact continues next year."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patti.core.demo import build_demo
from patti.core.details import mentions_partner, shifted_years, without_partner
from patti.core.errors import IntegrityError
from patti.core.services import Registry


def test_detaching_a_partner_takes_it_out_of_every_pacts_details(
    patti_registry: Registry,
) -> None:
    build_demo(patti_registry.store)
    store = patti_registry.store
    testimonies = next(p for p in store.pacts.all() if p.type == "school_testimonies")
    listed = testimonies.details["associations"][0]["partner_id"]
    assert mentions_partner(testimonies.details, listed)
    patti_registry.delete_partner(listed, detach=True)
    assert not store.partners.exists(listed)
    assert not any(mentions_partner(p.details, listed) for p in store.pacts.all())
    assert patti_registry.check() == []


def test_a_refused_delete_leaves_the_details_alone(patti_registry: Registry) -> None:
    build_demo(patti_registry.store)
    store = patti_registry.store
    testimonies = next(p for p in store.pacts.all() if p.type == "school_testimonies")
    listed = testimonies.details["associations"][0]["partner_id"]
    before = store.path.read_bytes()
    with pytest.raises(IntegrityError, match="still used"):
        patti_registry.delete_partner(listed)
    assert store.path.read_bytes() == before
    assert mentions_partner(store.pacts.get(testimonies.id or 0).details, listed)


def test_continuing_moves_the_calendar_of_the_details_to_the_new_year(
    patti_registry: Registry,
) -> None:
    build_demo(patti_registry.store)
    old = next(p for p in patti_registry.store.pacts.all() if p.type == "school_testimonies")
    new = patti_registry.continue_pact(old.id or 0)
    assert new.year == old.year + 1
    first = int(old.details["school_year"][:4])
    assert new.details["school_year"] == f"{first + 1}/{(first + 2) % 100:02d}"
    start = date.fromisoformat(old.details["window_start"])
    assert new.details["window_start"] == start.replace(year=start.year + 1).isoformat()
    assert len(new.details["schools"]) == len(old.details["schools"])


def test_29_february_becomes_the_28th_and_other_text_is_left_alone() -> None:
    details = {"a": ["2024-02-29", "2023/24", "note 2024-02-29", 2024], "b": {"c": "2021-10-05"}}
    assert shifted_years(details, 1) == {
        "a": ["2025-02-28", "2024/25", "note 2024-02-29", 2024],
        "b": {"c": "2022-10-05"},
    }


def _listed(value: object, partner_id: int) -> bool:
    """A list entry standing for ``partner_id``, or ``partner_id`` in a ``partner_ids``."""
    if isinstance(value, dict):
        ids = value.get("partner_ids")
        if isinstance(ids, list) and partner_id in ids:
            return True
        return any(_listed(v, partner_id) for v in value.values())
    if isinstance(value, list):
        return any(
            (isinstance(v, dict) and v.get("partner_id") == partner_id) or _listed(v, partner_id)
            for v in value
        )
    return False


@given(
    st.recursive(
        st.integers(1, 5) | st.text(max_size=3),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["partner_id", "partner_ids", "x"]), inner, max_size=3
            )
        ),
        max_leaves=12,
    ),
    st.integers(1, 5),
)
def test_without_partner_leaves_no_entry_or_listed_id_of_it(
    details: object, partner_id: int
) -> None:
    assert not _listed(without_partner(details, partner_id), partner_id)
