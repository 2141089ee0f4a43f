"""The dashboard: the year's figures and the attention list, on the demo store.

Every number the dashboard shows is recomputed here from the store's raw
documents with plain Python (following the definitions in
``docs/reports.md``), never by calling the code that draws it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_tui import file_state, screen_text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.screens import SCREENS
from patti.tui.screens.agenda import AgendaScreen
from patti.tui.screens.dashboard import Attention, DashboardScreen
from patti.tui.widgets.paged_table import PagedTable

SIZE = (120, 36)
LIVE = ("active", "concluded")


@pytest.fixture
def demo_path(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


@pytest.fixture
def registry(demo_path: Path) -> Iterator[Registry]:
    with Store.open(demo_path) as store:
        yield Registry(store)


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let the counting worker finish and its result be drawn."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_dashboard(app: PattiApp, pilot: Pilot[Any]) -> DashboardScreen:
    for mode, screen in (("dashboard", DashboardScreen), ("activities", AgendaScreen)):
        if mode not in app._modes:  # wired by the lead later
            app.add_mode(mode, lambda screen=screen: screen(app.registry))  # type: ignore[misc]
    await app.switch_mode("dashboard")
    await settle(app, pilot)
    assert isinstance(app.screen, DashboardScreen)
    return app.screen


def panel(app: App[Any], name: str) -> list[str]:
    rendered = app.screen.query_one(f"#dash-{name}", Static).render()
    return str(getattr(rendered, "plain", rendered)).splitlines()


def attention(app: App[Any]) -> list[Attention]:
    keys = app.screen.query_one("#dash-attention", PagedTable).keys
    return [k for k in keys if isinstance(k, Attention)]


# -- the figures, counted independently ----------------------------------------------------


def _year(value: Any) -> int | None:
    return int(value[:4]) if isinstance(value, str) and value[:4].isdigit() else None


def span(doc: dict[str, Any]) -> tuple[int, int | None] | None:
    """The years a live pact runs in (docs/reports.md)."""
    if doc["status"] not in LIVE:
        return None
    first = _year(doc.get("start")) or doc["year"]
    last = _year(doc.get("end"))
    if last is None and doc["status"] == "concluded":
        last = max(first, doc["year"])
    if last is not None and last < first:
        first = last
    return first, last


def covers(years: tuple[int, int | None] | None, year: int) -> bool:
    return years is not None and years[0] <= year and (years[1] is None or year <= years[1])


def involved(tables: dict[str, dict[int, dict[str, Any]]], year: int) -> set[int]:
    """Members of pacts running in ``year`` (for the part of it they cover), and partners
    of the year's done activities or planned ones of live pacts."""
    ids: set[int] = set()
    for doc in tables["pacts"].values():
        years = span(doc)
        if not covers(years, year):
            continue
        assert years is not None
        for member in doc.get("members", []):
            first = max(years[0], _year(member.get("start")) or years[0])
            own_last = _year(member.get("end"))
            last = years[1] if own_last is None else own_last
            if years[1] is not None and own_last is not None:
                last = min(years[1], own_last)
            if covers((first, last), year):
                ids.add(member["partner_id"])
    for doc in tables["activities"].values():
        if _year(doc["starts_at"]) != year:
            continue
        pact_status = tables["pacts"][doc["pact_id"]]["status"]
        if doc["status"] == "done" or (doc["status"] == "planned" and pact_status in LIVE):
            ids.update(doc.get("partner_ids", []))
            if doc.get("place_partner_id") is not None:
                ids.add(doc["place_partner_id"])
    return ids


def expected_panels(path: Path, today: date) -> dict[str, list[str]]:
    """What each panel must say (in English), from the file's raw documents."""
    with Store.open(path, readonly=True) as store:
        tables = {
            "partners": dict(store.partners.raw_items()),
            "pacts": dict(store.pacts.raw_items()),
            "activities": dict(store.activities.raw_items()),
        }
    year = today.year
    of_year = Counter(d["status"] for d in tables["pacts"].values() if d["year"] == year)
    running = sum(1 for d in tables["pacts"].values() if covers(span(d), year))
    now, before = involved(tables, year), involved(tables, year - 1)
    informal = sum(1 for p in now if tables["partners"][p]["kind"] == "informal_group")
    growth = f" ({(len(now) - len(before)) * 100 / len(before):+.1f}%)" if before else ""

    monday = today - timedelta(days=today.weekday())

    def week(first: date) -> int:
        return sum(
            1
            for d in tables["activities"].values()
            if first <= datetime.fromisoformat(d["starts_at"]).date() <= first + timedelta(days=6)
            and d["status"] != "cancelled"
        )

    dated = [d for d in tables["activities"].values() if _year(d["starts_at"]) == year]
    done = [d for d in dated if d["status"] == "done"]
    planned = [
        d
        for d in dated
        if d["status"] == "planned" and tables["pacts"][d["pact_id"]]["status"] in LIVE
    ]
    cancelled = [d for d in dated if d["status"] == "cancelled"]
    statuses = {
        "draft": "Draft",
        "proposed": "Proposed",
        "active": "Active",
        "concluded": "Concluded",
        "cancelled": "Cancelled",
    }

    def day(d: date) -> str:
        return d.isoformat()

    return {
        "pacts": [
            f"Pacts of {year}: {sum(of_year.values())}",
            *(f"  {label}: {of_year.get(status, 0)}" for status, label in statuses.items()),
            f"Running in {year}: {running}",
        ],
        "partners": [
            f"Involved in {year}: {len(now)}",
            f"In {year - 1}: {len(before)}{growth}",
            f"New: {len(now - before)}",
            f"Returning: {len(now & before)}",
            f"Informal groups: {informal}",
        ],
        "activities": [
            f"This week ({day(monday)} – {day(monday + timedelta(days=6))}): {week(monday)}",
            f"Next week ({day(monday + timedelta(days=7))} – "
            f"{day(monday + timedelta(days=13))}): {week(monday + timedelta(days=7))}",
            f"In {year}: {len(done)} done, {len(planned)} planned, {len(cancelled)} cancelled",
            f"Attendance in {year}: {sum(d.get('attendance') or 0 for d in done)}",
        ],
    }


@pytest.mark.parametrize("today", [None, date(2021, 11, 15)], ids=["as-of-2022", "nov-2021"])
async def test_the_figures_are_the_stores(demo_path: Path, today: date | None) -> None:
    before = file_state(demo_path)
    with Store.open(demo_path) as store:
        registry = Registry(store, today=(lambda: today) if today else None)
        day = registry.today()
        expected = expected_panels(demo_path, day)
        if today is None:
            assert day == date(2022, 1, 1)  # the demo is seen as of its own date
        else:  # 2021: six pacts still active, one concluded; a week with activities
            assert "  Active: 6" in expected["pacts"] and "  Concluded: 1" in expected["pacts"]
            assert not expected["activities"][0].endswith(": 0")
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await open_dashboard(app, pilot)
            for name, lines in expected.items():
                shown = panel(app, name)
                for line in lines:
                    assert line in shown, (name, line, shown)
            assert f"The year {day.year} at a glance" in screen_text(app)
    assert file_state(demo_path) == before, "looking does not write"


# -- what needs attention ------------------------------------------------------------------


@pytest.fixture
def troubles(registry: Registry) -> dict[str, Any]:
    """One of each thing the dashboard must point at, and one it must not."""
    today = registry.today()
    draft = registry.create_pact(title="Patto in bozza", type="community_ties", status="draft")
    ending = registry.pact("PdC-2021-06")
    ending = registry.update_pact(ending.id or 0, end=today + timedelta(days=20))
    late = registry.create_activity(
        pact_id=registry.pact("PdC-2021-03").id,
        title="Incontro da registrare",
        starts_at=datetime(2021, 12, 20, 17, 0),
    )
    dropped = registry.create_pact(title="Patto lasciato", type="community_ties", status="draft")
    registry.create_activity(
        pact_id=dropped.id, title="Mai svolta", starts_at=datetime(2021, 12, 10, 10, 0)
    )
    registry.set_pact_status(dropped.id or 0, "cancelled")
    partner = next(p for p in registry.list_partners() if p.kind.value == "association")
    contacts = [c.model_dump() for c in partner.contacts]
    contacts.append(
        {"key": "anna-bianchi", "name": "Anna Bianchi", "retention_until": date(2021, 12, 1)}
    )
    registry.update_partner(partner.id or 0, contacts=contacts)
    return {
        "draft": (draft.code, f"{draft.code} · Patto in bozza"),
        "ending": (ending.code, f"{ending.code} · {ending.title}"),
        "unrecorded": (late.id, "Incontro da registrare (PdC-2021-03)"),
        "retention": (partner.id, f"Anna Bianchi ({partner.name})"),
    }


async def test_attention_lists_what_needs_doing(
    registry: Registry, troubles: dict[str, Any]
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(app, pilot)
        items = attention(app)
        assert {(i.kind, i.text) for i in items} == {(k, v[1]) for k, v in troubles.items()}
        text = screen_text(app)
        assert "Needs attention: 4" in text
        for label in ("Draft waiting", "Ends within 30 days", "Not recorded yet"):
            assert label in text
        assert "Incontro da registrare" in text and "2021-12-20" in text


async def move_to(pilot: Pilot[Any], kind: str) -> Attention:
    """Put the attention list's cursor on the first item of ``kind``."""
    table = pilot.app.screen.query_one("#dash-attention", PagedTable)
    kinds = [i.kind for i in attention(pilot.app)]
    await pilot.press(*["down"] * kinds.index(kind))
    await pilot.pause()
    item = table.current()
    assert isinstance(item, Attention) and item.kind == kind
    return item


async def test_enter_on_an_activity_opens_it_in_the_agenda(
    registry: Registry, troubles: dict[str, Any]
) -> None:
    late_id = troubles["unrecorded"][0]
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(app, pilot)
        await move_to(pilot, "unrecorded")
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "activities"
        agenda = app.screen.query_one("#agenda-table", PagedTable)
        assert agenda.current() == late_id
        # Record it there; back on the dashboard it no longer needs attention.
        await pilot.press("r", "1", "8", "ctrl+s")
        await pilot.pause()
        assert registry.activity(late_id).attendance == 18
        await app.switch_mode("dashboard")
        await settle(app, pilot)
        assert "unrecorded" not in {i.kind for i in attention(app)}
        assert "Needs attention: 3" in screen_text(app)


async def test_enter_on_a_draft_opens_the_pacts(
    registry: Registry, troubles: dict[str, Any]
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(app, pilot)
        await move_to(pilot, "draft")
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "pacts"


async def test_enter_on_a_contact_goes_to_partners_when_there_is_that_screen(
    registry: Registry, troubles: dict[str, Any]
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(app, pilot)
        await move_to(pilot, "retention")
        await pilot.press("enter")
        await pilot.pause()
        if "partners" in SCREENS:
            assert app.current_mode == "partners"
        else:  # not built yet: say so, stay here
            assert app.current_mode == "dashboard"
            assert "That screen is not available yet." in [n.message for n in app._notifications]


async def test_italian_labels(registry: Registry, troubles: dict[str, Any]) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(app, pilot)
        text = screen_text(app)
        for label in ("Patti", "Partner", "Attività", "Quando"):
            assert label in text
        pacts = panel(app, "pacts")
        for label in ("Bozza: 1", "Proposto: 0", "Attivo: 0", "Concluso: 0", "Annullato: 1"):
            assert f"  {label}" in pacts
        assert "20/12/2021" in text  # dates as Italians write them
