"""The backups screen: list, back up now, verify, restore after a confirmation.

The real app on the demo store, driven by Pilot; backups are real files
written by the backup services, and "restored" means the store holds the
backup's records again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui import screen_text, xfail_untranslated
from textual.app import App
from textual.content import Content
from textual.widgets import Static

from patti.core import backup as backups
from patti.core.demo import build_demo
from patti.core.i18n import _, set_language
from patti.core.services import Registry
from patti.core.store import ENTITY_TABLES, Store
from patti.tui import app as app_module
from patti.tui.app import PattiApp
from patti.tui.dialogs.confirm import ConfirmDialog
from patti.tui.screens.backups import BackupsScreen

SIZE = (120, 36)


class HookedApp(PattiApp):
    """The app with the hook the backups screen calls after a restore."""

    CSS_PATH = str(Path(app_module.__file__).with_name("patti.tcss"))  # not beside this test
    restores = 0

    def call_after_restore(self) -> None:
        self.restores += 1


@pytest.fixture
def demo_file(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


@pytest.fixture
def demo(demo_file: Path) -> Iterator[Registry]:
    with Store.open(demo_file) as store:
        yield Registry(store)


async def open_backups(app: PattiApp, pilot: Any) -> BackupsScreen:
    if "backups" not in app._modes:  # wired by the lead later
        app.add_mode("backups", lambda: BackupsScreen(app.registry))
    await app.switch_mode("backups")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, BackupsScreen)
    return screen


async def settle(app: App[Any], pilot: Any) -> None:
    """Let the screen's thread workers finish and their results reach it."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


def asking(app: App[Any]) -> bool:
    """A confirmation is on top (a function, so mypy does not narrow ``app.screen`` for good)."""
    return isinstance(app.screen, ConfirmDialog)


def rows(screen: BackupsScreen) -> list[list[str]]:
    grid = screen.table.table
    return [[str(cell) for cell in grid.get_row_at(r)] for r in range(grid.row_count)]


def detail(screen: BackupsScreen) -> str:
    rendered = screen.query_one("#backup-detail", Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


def records(store: Store) -> dict[str, Any]:
    snapshot = store.snapshot()
    return {t: snapshot.get(t, {}) for t in ENTITY_TABLES}


def spoil(path: Path) -> None:
    """Flip one bit inside the backup's data: its checksum no longer matches."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"name"') + 10
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


# -- listing and backing up ----------------------------------------------------------------


async def test_an_empty_backups_folder_says_so(demo: Registry) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_backups(app, pilot)
        assert rows(screen) == []
        assert "No backups yet in" in screen_text(app)


async def test_b_writes_a_verified_backup_and_lists_it(demo: Registry) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_backups(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        (written,) = backups.list_backups(demo.store.path)
        assert written.ok
        (row,) = rows(screen)
        assert row[0] == written.path.name
        assert row[3:] == ["manual", "yes"]
        (message,) = notifications(app)
        assert message.startswith(f"Backup written and verified: {written.path.name} (")
        assert "Verifies: it can be restored." in detail(screen)
    assert backups.read_backup(written.path).tables == demo.store.snapshot()


async def test_v_verifies_the_highlighted_backup(demo: Registry) -> None:
    path = backups.write_backup(demo.store)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_backups(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        (message,) = notifications(app)
        assert message.startswith(f"{path.name} verifies: schema 1, written by patti ")


async def test_a_file_spoilt_after_listing_is_marked_when_verified(demo: Registry) -> None:
    path = backups.write_backup(demo.store)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_backups(app, pilot)
        assert rows(screen)[0][4] == "yes"
        spoil(path)
        await pilot.press("v")
        await settle(app, pilot)
        assert rows(screen)[0][4] == "NO"
        assert "checksum does not match" in notifications(app)[0]
        assert "checksum does not match" in detail(screen)


# -- restoring -------------------------------------------------------------------------------


async def test_restore_puts_the_backups_records_back(demo: Registry) -> None:
    path = backups.write_backup(demo.store)
    saved = backups.read_backup(path).tables
    demo.create_partner(name="Added after the backup", kind="association")
    app = HookedApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_backups(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert asking(app)
        question = screen_text(app)
        partners = len(saved["partners"])
        assert f"Partners: {partners + 1} → {partners} (1 record differs)" in question
        assert "Activities: " in question and "(0 records differ)" in question
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is screen
        assert app.restores == 1
        assert any(m.startswith("Restored ") for m in notifications(app))
        kinds = [r[3] for r in rows(screen)]
        assert sorted(kinds) == ["before a restore", "manual"]
    assert records(demo.store) == {t: saved[t] for t in ENTITY_TABLES}
    with Store.open(demo.store.path, readonly=True) as reopened:
        assert records(reopened) == {t: saved[t] for t in ENTITY_TABLES}


async def test_a_store_name_with_markup_shows_literally_in_the_question(tmp_path: Path) -> None:
    path = tmp_path / "[@click=app.quit]x.json"  # backups are named after the store
    with Store.open(path) as store:
        registry = Registry(store)
        registry.create_partner(name="One", kind="association")
        written = backups.write_backup(store)
        registry.create_partner(name="Two", kind="association")
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await open_backups(app, pilot)
            assert written.name in screen_text(app)
            await pilot.press("r")
            await settle(app, pilot)
            assert asking(app)
            message = app.screen.query_one("#confirm-message", Static).render()
            assert isinstance(message, Content)
            assert f"with {written.name} (" in message.plain
            await pilot.press("n")
            await settle(app, pilot)
            assert app.is_running


async def test_cancelling_the_restore_changes_nothing(demo: Registry) -> None:
    backups.write_backup(demo.store)
    demo.create_partner(name="Added after the backup", kind="association")
    before = demo.store.path.read_bytes()
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_backups(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert asking(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        assert len(rows(screen)) == 1
    assert demo.store.path.read_bytes() == before


async def test_a_spoilt_backup_shows_no_and_is_not_restored(demo: Registry) -> None:
    path = backups.write_backup(demo.store)
    spoil(path)
    demo.create_partner(name="Added after the backup", kind="association")
    before = demo.store.path.read_bytes()
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_backups(app, pilot)
        (row,) = rows(screen)
        assert row[4] == "NO"
        assert "checksum does not match its content" in detail(screen)
        assert "NO" in screen_text(app)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen is screen  # no confirmation for a file that cannot be restored
        (message,) = notifications(app)
        assert message.startswith("Not restored: ")
        assert "checksum does not match its content" in message
    assert demo.store.path.read_bytes() == before
    assert [b.path for b in backups.list_backups(demo.store.path)] == [path]


async def test_readonly_store_disables_backup_and_restore(demo_file: Path) -> None:
    with Store.open(demo_file) as writer:
        path = backups.write_backup(writer)
    before = demo_file.read_bytes()
    with Store.open(demo_file, readonly=True) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_backups(app, pilot)
            assert screen.check_action("backup", ()) is None
            assert screen.check_action("restore", ()) is None
            assert screen.check_action("verify", ()) is True
            await pilot.press("b", "r")
            await settle(app, pilot)
            assert app.screen is screen
            assert "Read-only" in screen_text(app)
    assert demo_file.read_bytes() == before
    assert [b.path for b in backups.list_backups(demo_file)] == [path]


async def test_a_backup_made_elsewhere_shows_when_the_screen_is_shown_again(
    demo: Registry,
) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_backups(app, pilot)
        assert rows(screen) == []
        await app.switch_mode("pacts")
        backups.write_backup(demo.store)
        await app.switch_mode("backups")
        await settle(app, pilot)
        assert len(rows(screen)) == 1


# -- Italian --------------------------------------------------------------------------------


async def test_italian_column_headers(demo: Registry) -> None:
    english = ["Created", "Size", "Kind", "Verifies"]  # "File" is Italian too
    set_language("it")
    italian = [_(label) for label in english]
    xfail_untranslated(english, italian)
    backups.write_backup(demo.store)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_backups(app, pilot)
        labels = [str(c.label) for c in screen.table.table.columns.values()]
        assert labels[1:] == italian
        assert rows(screen)[0][3:] == [_("manual"), _("yes")]
