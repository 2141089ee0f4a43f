"""A big store opens behind an opening screen: the app paints first, then loads it."""

from __future__ import annotations

from pathlib import Path

from test_tui import SIZE, sample_file  # noqa: F401  (a fixture)

from patti.core.errors import StoreCorruptError
from patti.core.store import Store
from patti.tui.app import OpeningScreen, PattiApp, StoreOpening
from patti.tui.screens import DashboardScreen


async def test_the_app_paints_an_opening_screen_then_shows_the_dashboard(
    sample_file: Path,  # noqa: F811
) -> None:
    opening = StoreOpening(sample_file, None)
    app = PattiApp(start="dashboard", opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, OpeningScreen) or app.ready
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.ready
        assert isinstance(app.screen, DashboardScreen)
        assert app.registry.store.path == sample_file.resolve()
        assert not app.registry.store.readonly
    opening.close()
    with Store.open(sample_file) as again:  # the lock was released
        assert not again.readonly


async def test_a_store_that_cannot_be_opened_ends_the_app_with_its_reason(
    store_path: Path,
) -> None:
    store_path.write_bytes(b"{")
    opening = StoreOpening(store_path, None)
    app = PattiApp(start="dashboard", opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            if app.return_code is not None:
                break
            await pilot.pause(0.02)
    assert app.return_code == 2
    assert isinstance(opening.error, StoreCorruptError)
    assert store_path.read_bytes() == b"{"


async def test_keys_that_need_the_store_wait_for_it(store_path: Path) -> None:
    opening = StoreOpening(store_path, None)
    opening._lock.acquire()  # the store is still loading
    app = PattiApp(start="dashboard", opening=opening)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f3", "f4")
            assert isinstance(app.screen, OpeningScreen)
            assert not app.ready
            assert app.check_action("go", ("pacts",)) is False
            opening._lock.release()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("f3")
            await pilot.pause()
            assert app.current_mode == "pacts"
    finally:
        if opening._lock.locked():
            opening._lock.release()
        opening.close()


def test_quitting_while_it_loads_still_closes_the_store(store_path: Path) -> None:
    opening = StoreOpening(store_path, None)
    opening.close()  # the operator quit before the worker got the lock
    assert opening.open(lambda text: None) is None
    assert opening.store is None
    with Store.open(store_path) as store:
        assert not store.readonly
