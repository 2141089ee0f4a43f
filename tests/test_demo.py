"""The demo store: a valid, deterministic picture of 2020 and 2021 with invented partners.

Counts are read back from the file on disk where it matters, so a bug in the
demo's own helpers cannot make its tests agree with it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest

from patti.core.demo import THEMES, ZONES, build_demo, ensure_demo
from patti.core.errors import PattiError
from patti.core.model import ActivityStatus, Partner, PartnerKind
from patti.core.store import Store


def _on_disk(store: Store) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(store.path.read_bytes())
    return data


@pytest.fixture
def demo(store: Store) -> Store:
    build_demo(store)
    return store


def _pact(store: Store, code: str) -> Any:
    return next(p for p in store.pacts.all() if p.code == code)


def _year_partner_ids(store: Store, year: int) -> set[int]:
    ids: set[int] = set()
    for pact in store.pacts.all():
        if pact.year == year:
            ids |= pact.partner_ids()
    return ids


def test_demo_passes_the_integrity_check(demo: Store) -> None:
    assert demo.check() == []
    assert demo.meta["demo"] is True
    assert demo.meta["demo_version"] == 1


def test_seven_pacts_in_2021_counted_from_the_file(demo: Store) -> None:
    pacts = _on_disk(demo)["pacts"].values()
    codes = sorted(p["code"] for p in pacts if p["year"] == 2021)
    assert codes == [f"PdC-2021-0{n}" for n in range(1, 8)]
    assert 3 <= sum(1 for p in pacts if p["year"] == 2020) <= 4


def test_file_references_are_whole(demo: Store) -> None:
    data = _on_disk(demo)
    partners, pacts = set(data["partners"]), set(data["pacts"])
    for pact in data["pacts"].values():
        roles = [(m["partner_id"], m["role"]) for m in pact["members"]]
        assert len(roles) == len(set(roles))
        assert {str(pid) for pid, _ in roles} <= partners
    for activity in data["activities"].values():
        assert str(activity["pact_id"]) in pacts


def test_testimonies_pact_has_19_associations_and_the_schools(demo: Store) -> None:
    pact = next(p for p in demo.pacts.all() if p.type == "school_testimonies" and p.year == 2021)
    by_role: dict[str, list[Partner]] = defaultdict(list)
    for member in pact.members:
        by_role[member.role].append(demo.partners.get(member.partner_id))
    associations = by_role["association"]
    assert len(associations) == 19
    kinds = [p.kind for p in associations]
    assert set(kinds) <= {PartnerKind.ASSOCIATION, PartnerKind.INFORMAL_GROUP}
    assert kinds.count(PartnerKind.INFORMAL_GROUP) >= 3
    assert kinds.count(PartnerKind.ASSOCIATION) > kinds.count(PartnerKind.INFORMAL_GROUP)
    institutes = by_role["school_institute"]
    schools = by_role["school"]
    assert len(institutes) == len(schools) == 4
    assert {s.parent_id for s in schools} == {i.id for i in institutes}
    assert [p.kind for p in by_role["promoter"]] == [PartnerKind.PUBLIC_SERVICE]
    assert set(pact.themes) == {"volunteering", "active-citizenship", "mutual-knowledge"}


def test_each_institute_has_a_lower_secondary_school(demo: Store) -> None:
    partners = demo.partners.all()
    institutes = [p for p in partners if p.kind is PartnerKind.SCHOOL_INSTITUTE]
    assert len(institutes) == 4
    for institute in institutes:
        children = [p for p in partners if p.parent_id == institute.id]
        assert [c.kind for c in children] == [PartnerKind.SCHOOL]
        assert "secondaria di primo grado" in children[0].name


def test_every_class_hears_two_associations_done_then_planned(demo: Store) -> None:
    pact = _pact(demo, "PdC-2021-01")
    visits = [a for a in demo.activities.all() if a.pact_id == pact.id]
    schools = {p.id for p in demo.partners.all() if p.kind is PartnerKind.SCHOOL}
    per_class: dict[str, list[int]] = defaultdict(list)
    for visit in visits:
        assert visit.kind == "testimony"
        assert visit.place_partner_id in schools
        assert len(visit.partner_ids) == 1
        assert visit.audience_count is not None and 18 <= visit.audience_count <= 27
        per_class[visit.audience].append(visit.partner_ids[0])
        assert pact.start <= visit.starts_at.date() <= pact.end
        if visit.starts_at < datetime(2022, 1, 1):
            assert visit.status is ActivityStatus.DONE
            assert visit.attendance is not None and visit.attendance <= visit.audience_count
        else:
            assert visit.status is ActivityStatus.PLANNED
            assert visit.attendance is None
    assert len(per_class) >= 20
    for associations in per_class.values():
        assert len(associations) == len(set(associations)) == 2
    statuses = {v.status for v in visits}
    assert statuses == {ActivityStatus.DONE, ActivityStatus.PLANNED}


def test_no_partner_is_in_two_places_at_once(demo: Store) -> None:
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for activity in demo.activities.all():
        if activity.status is ActivityStatus.CANCELLED:
            continue
        end = activity.ends_at or activity.starts_at
        for partner_id in activity.partner_ids:
            busy[partner_id].append((activity.starts_at, end))
    for spans in busy.values():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert end <= start


def test_2020_is_smaller_and_some_partners_do_not_return(demo: Store) -> None:
    before = _year_partner_ids(demo, 2020)
    after = _year_partner_ids(demo, 2021)
    assert len(before) < len(after)
    assert before - after, "some 2020 partners should be lost in 2021"
    assert before & after, "some 2020 partners should return in 2021"
    assert after - before, "2021 should bring new partners"


def test_to_be_continued_continues_the_good_invasion(demo: Store) -> None:
    pact = next(p for p in demo.pacts.all() if "TO BE CONTINUED" in p.title)
    assert pact.type == "youth_legality" and pact.year == 2021
    assert pact.predecessor_id is not None
    before = demo.pacts.get(pact.predecessor_id)
    assert before.title == "La buona invasione"
    assert (before.year, before.type, before.status.value) == (2020, "youth_legality", "concluded")
    assert "estivo 2021" in before.notes
    talks = [a for a in demo.activities.all() if a.pact_id == before.id]
    assert talks and all(a.status is ActivityStatus.DONE for a in talks)
    assert all(date(2021, 6, 1) <= a.starts_at.date() <= date(2021, 7, 31) for a in talks)
    planned = [a for a in demo.activities.all() if a.pact_id == pact.id]
    assert planned and all(a.status is ActivityStatus.PLANNED for a in planned)
    assert all(a.audience.startswith("Grest 2022") for a in planned)
    roles = {m.role for m in pact.members}
    assert roles == {"promoter", "host", "speaker"}
    hosts = [demo.partners.get(m.partner_id) for m in pact.members if m.role == "host"]
    assert 3 <= len(hosts) <= 4 and all(h.kind is PartnerKind.PARISH for h in hosts)


def test_every_partner_is_tagged_and_declared_invented(demo: Store) -> None:
    for partner in demo.partners.all():
        assert "demo" in partner.tags
        assert "inventat" in partner.notes
        assert set(partner.zones) <= {z.slug for z in ZONES}
        assert set(partner.themes) <= {t.key for t in THEMES}
    for pact in demo.pacts.all():
        assert set(pact.zones) <= {z.slug for z in ZONES}
        assert set(pact.themes) <= {t.key for t in THEMES}


def test_contacts_are_invented_adults_and_one_is_past_retention(demo: Store) -> None:
    contacts = [c for p in demo.partners.all() for c in p.contacts]
    assert contacts
    for contact in contacts:
        assert contact.email is not None and contact.email.endswith("@example.org")
        assert contact.retention_until is not None
    assert any(c.retention_until and c.retention_until < date(2024, 1, 1) for c in contacts)
    assert any(c.consents for c in contacts)


def test_no_activity_records_a_person(demo: Store) -> None:
    names = {c.name.lower() for p in demo.partners.all() for c in p.contacts}
    for activity in demo.activities.all():
        text = " ".join((activity.title, activity.audience, activity.place, activity.notes))
        assert not any(name in text.lower() for name in names)
        assert activity.audience, "every activity says which group it was for"
        if activity.kind in ("testimony", "talk"):
            assert activity.audience_count is not None
        if activity.attendance is not None:
            assert activity.status is ActivityStatus.DONE
            if activity.audience_count is not None:
                assert activity.attendance <= activity.audience_count


def test_ensure_demo_is_idempotent(store: Store) -> None:
    assert ensure_demo(store) is True
    before = store.path.read_bytes()
    assert ensure_demo(store) is False
    assert store.path.read_bytes() == before


def test_ensure_demo_after_reopening(store_path: Path) -> None:
    with Store.open(store_path) as first:
        assert ensure_demo(first) is True
    before = store_path.read_bytes()
    with Store.open(store_path) as second:
        assert ensure_demo(second) is False
    assert store_path.read_bytes() == before


def test_ensure_demo_refuses_a_store_with_real_data(store: Store) -> None:
    store.add(Partner(name="Associazione vera", kind=PartnerKind.ASSOCIATION))
    before = store.path.read_bytes()
    with pytest.raises(PattiError, match="--db"):
        ensure_demo(store)
    with pytest.raises(PattiError):
        build_demo(store)
    assert store.path.read_bytes() == before
    assert "demo" not in store.meta


def _without_timestamps(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table, rows in data.items():
        out[table] = {
            key: {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}
            for key, row in rows.items()
        }
    return out


def test_build_is_deterministic(tmp_path: Path) -> None:
    files = []
    for name in ("a", "b"):
        with Store.open(tmp_path / name / "patti.json") as store:
            build_demo(store)
            files.append(_without_timestamps(_on_disk(store)))
    assert files[0] == files[1]
    assert len(files[0]["activities"]) > 50
