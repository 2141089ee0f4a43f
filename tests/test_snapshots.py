"""The look of the main screens, guarded by SVG snapshots (pytest-textual-snapshot).

Each test opens the real app in Italian, at 120x36, on the demo store built
in ``tmp_path``, and compares the screen with the SVG checked in under
``tests/__snapshots__/test_snapshots/``. Only the built-in plugins are loaded
(``entry_point_group=None``), so a plugin installed on the machine does not
change the pictures.

Everything that could vary between runs is pinned: "today" is the demo's
own date (1 January 2022), the store's path in the header is replaced by its
file name, workers are waited for, and the cursor does not blink. After a
deliberate change of the look, review the new pictures and accept them with
``pytest tests/test_snapshots.py --snapshot-update``; a failed run writes
``snapshot_report.html`` with the differences side by side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp

SIZE = (120, 36)
STORE_NAME = "demo.json"

SnapCompare = Callable[..., bool]
MakeApp = Callable[[str], PattiApp]


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor would be on or off depending on when the picture is taken."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[MakeApp]:
    """``demo_app(mode)``: the app in Italian on a fresh demo store, opening on ``mode``."""
    path = tmp_path / STORE_NAME
    with Store.open(path) as store:
        build_demo(store)
    set_language("it")
    store = Store.open(path)
    registry = Registry(store, plugins=PluginHost(entry_point_group=None))
    try:
        yield lambda mode: PattiApp(registry, start=mode)
    finally:
        store.close()


def settled(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Press ``keys``, then wait until every worker (counting, searching) has drawn its result.

    The header's subtitle names the store's file only: its folder is ``tmp_path``.
    """

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        app.sub_title = STORE_NAME
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def test_dashboard(snap_compare: SnapCompare, demo_app: MakeApp) -> None:
    """The year at a glance (2022, the demo's today) with the attention list."""
    assert snap_compare(demo_app("dashboard"), terminal_size=SIZE, run_before=settled())


def test_pacts_with_the_testimonies_detail(snap_compare: SnapCompare, demo_app: MakeApp) -> None:
    """The pact list, newest year first; the first row, the testimonies pact, in detail."""
    assert snap_compare(demo_app("pacts"), terminal_size=SIZE, run_before=settled())


def test_partners(snap_compare: SnapCompare, demo_app: MakeApp) -> None:
    """The partner directory with the first partner's contacts, pacts and activities."""
    assert snap_compare(demo_app("partners"), terminal_size=SIZE, run_before=settled())


def test_agenda_week(snap_compare: SnapCompare, demo_app: MakeApp) -> None:
    """The agenda's week view, two weeks back from today: the testimonies done in week 50."""
    app = demo_app("activities")
    assert snap_compare(app, terminal_size=SIZE, run_before=settled("left", "left"))


def test_report_2021(snap_compare: SnapCompare, demo_app: MakeApp) -> None:
    """The annual report opens on 2021 (no pact was activated yet in 2022): the year in brief."""
    assert snap_compare(demo_app("report"), terminal_size=SIZE, run_before=settled())
