"""The real Textual app, timed: list screens ready, scrolling, cold start to first paint.

List screens run in this process through ``PattiApp.run_test(size=(120, 36))``
on an open store: the clock starts when the app switches to the screen and
stops when its table holds rows, the screen has handled what the switch
set off (loading, highlighting the first row, drawing its detail), no
worker it started still runs (large stores are indexed in one), and the
screen has been repainted after that.
"First visit" builds the screen; "shown again" comes back to it from
another screen (its ``refresh_data``).

Textual repaints on a 60 Hz timer, so "painted" would include waiting up to
16.7 ms for the next tick: :data:`FPS` raises the rate (``TEXTUAL_FPS``, set
before Textual is imported) so that what is timed is the work and the paint.
Cold start runs ``bench/child.py coldstart`` in a fresh interpreter, at the
app's own rate: see there.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.timing import Samples
from patti.core.services import Registry

#: The list screens: mode and the PagedTable that shows their rows.
LISTS: dict[str, str] = {
    "pacts": "#pact-list",
    "partners": "#partner-table",
    "activities": "#agenda-table",
}
PARKING = "plugins"
"""A light screen the app waits on between two measurements."""
CHILD = Path(__file__).resolve().with_name("child.py")
FPS = "1000"
SWITCH_SETTLES = 0.1
"""Seconds after a mode switch by which Textual's deferred repaint (50 ms) is done."""


def fast_frames() -> None:
    """Repaint as soon as something is dirty (call before Textual is imported)."""
    if "textual.constants" in sys.modules and os.environ.get("TEXTUAL_FPS") != FPS:
        raise RuntimeError("Textual was imported before the frame rate could be set")
    os.environ["TEXTUAL_FPS"] = FPS


async def _processed(widget: Any) -> None:
    """Return once ``widget`` has handled every message it was sent until now."""
    done = asyncio.Event()
    widget.call_later(done.set)
    await done.wait()


async def _painted(*widgets: Any) -> None:
    """Return once each widget in turn has handled its messages (a message one handles
    may post the next one's), and the screen has then been repainted."""
    for widget in widgets:
        await _processed(widget)
    await widgets[-1].screen.wait_for_refresh()


def _belongs(node: Any, screen: Any) -> bool:
    while node is not None:
        if node is screen:
            return True
        node = node.parent
    return False


async def _show(app: Any, mode: str, timeout: float = 120.0) -> float:
    """Seconds from switching to ``mode`` until the screen is ready, painted.

    Ready: its table holds rows, the screen and the table have handled every
    message (the data loaded when shown, the row highlighted, the detail
    drawn) and no worker the screen started is still running.
    """
    from patti.tui.widgets.paged_table import PagedTable

    started = time.perf_counter()
    await app.switch_mode(mode)
    while True:
        screen = app.screen
        found = screen.query(LISTS[mode])
        if found:
            paged = found.first(PagedTable)
            chain = (screen, paged.table, paged, screen)
            for widget in chain:
                await _processed(widget)
            busy = any(not w.is_finished for w in app.workers if _belongs(w.node, screen))
            if not busy and paged.table.row_count > 0:
                break
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"the {mode} screen was not ready in {timeout:.0f} s")
        await asyncio.sleep(0.001)
    await _painted(*chain)  # what the last worker's result posted, then the repaint
    return time.perf_counter() - started


async def _scroll(app: Any, steps: int) -> tuple[Samples, Samples]:
    """On the pacts list: one row down (cursor, detail pane), and the next page of rows."""
    from textual.widgets import DataTable

    from patti.tui.screens.pacts import PactTable

    await app.switch_mode("pacts")
    paged = app.screen.query_one(PactTable)
    table = app.screen.query_one("#pact-table", DataTable)
    table.focus()
    await _painted(table, app.screen)
    # Textual holds a switched-to screen's updates for 50 ms (App.delay_update) and then
    # repaints it whole: scrolling is timed once that repaint is done, not within it.
    await asyncio.sleep(SWITCH_SETTLES)
    await _painted(table, app.screen)
    cursor = Samples()
    for _ in range(steps):
        started = time.perf_counter()
        table.action_cursor_down()
        await _painted(table, paged, app.screen)
        cursor.values.append(time.perf_counter() - started)
    pages = Samples()
    for _ in range(min(5, paged.pages - 1)):
        started = time.perf_counter()
        paged.action_page(1)
        await _painted(table, paged, app.screen)
        pages.values.append(time.perf_counter() - started)
    if not pages.values:
        pages.note = "one page only"
    return cursor, pages


async def _screens(registry: Registry, reps: int) -> dict[str, Samples]:
    from patti.core.search import PactIndex, PartnerIndex
    from patti.tui.app import OPEN_BEHIND_SCREEN_BYTES, PattiApp

    store = registry.store
    if store.path.stat().st_size >= OPEN_BEHIND_SCREEN_BYTES:
        # As run_app opens a big store: the indexes are built while the opening screen
        # shows (timed by the cold start's "dashboard" mark), not on the first visit.
        store.warm_indexes()
        PactIndex.of(store).refresh()
        PartnerIndex.of(store).refresh()
    found: dict[str, Samples] = {}
    for _ in range(reps):
        app = PattiApp(registry, start=PARKING)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            for when in ("first", "again"):
                for mode in LISTS:
                    seconds = await _show(app, mode)
                    found.setdefault(f"screen.{mode}.{when}", Samples()).values.append(seconds)
                    await app.switch_mode(PARKING)
                    await pilot.pause()
            cursor, pages = await _scroll(app, steps=20)
            for key, samples in (("scroll.cursor", cursor), ("scroll.page", pages)):
                found.setdefault(key, Samples(note=samples.note)).values.extend(samples.values)
    return found


def list_screens(registry: Registry, reps: int = 3) -> dict[str, Samples]:
    """Every list screen's time to rows (first visit and again), and scrolling, ``reps`` times."""
    fast_frames()
    return asyncio.run(_screens(registry, reps))


# -- child processes ------------------------------------------------------------------------


def run_child(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> dict[str, Any]:
    """Run ``bench/child.py`` with ``args`` in a fresh interpreter; its last stdout line (JSON)."""
    result = subprocess.run(
        [sys.executable, str(CHILD), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**{k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}, **(env or {})},
        cwd=CHILD.parent.parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench/child.py {args[0]} failed:\n{result.stderr[-3000:]}")
    lines = result.stdout.strip().splitlines()
    data: dict[str, Any] = json.loads(lines[-1])
    return data


def cold_start(store_path: Path, reps: int = 3) -> tuple[Samples, dict[str, float]]:
    """Process start to the first paint (and to the dashboard), ``reps`` times; the median
    run's phases."""
    samples = Samples()
    runs: list[dict[str, float]] = []
    for _ in range(reps):
        marks = run_child("coldstart", str(store_path), env={"PATTI_BENCH_T0": repr(time.time())})
        runs.append(marks)
        samples.values.append(marks["first paint"])
    runs.sort(key=lambda m: m["first paint"])
    return samples, runs[len(runs) // 2]


def peak_memory(store_path: Path, year: int, word: str) -> dict[str, Any]:
    """Peak resident memory of a process that opens the store, reports, searches, backs up."""
    return run_child("memory", str(store_path), str(year), word)


def floor_memory(store_path: Path) -> dict[str, Any]:
    """Peak resident memory of a process that only parses the store file (orjson, gc off)."""
    return run_child("floor-memory", str(store_path))
