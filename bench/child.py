"""Figures that need a fresh interpreter: cold start and peak memory.

    python bench/child.py coldstart STORE          (PATTI_BENCH_T0=<time.time() at spawn>)
    python bench/child.py memory STORE YEAR WORD
    python bench/child.py floor-memory STORE

Each prints one JSON line. Only the standard library is imported at module
level, so the cold start pays for exactly what ``patti`` imports.

Cold start follows the ``patti`` command: import its CLI, build the command
tree (which loads the plugins), then what ``run_app`` does (open the store,
the plugins' ``startup``, the app on the dashboard) with the app headless at
120x36. "First paint" is when the first screen is mounted and has been
repainted once: for a store past ``OPEN_BEHIND_SCREEN_BYTES`` that is the
opening screen, painted while a worker loads the store; "dashboard" is when
the dashboard is mounted and repainted (its counts may still be loading in
their worker, as the operator sees them). The day's automatic backup that ``run_app`` writes
once a day is left out: the backup figure measures it. Times are seconds
since the parent spawned this process, interpreter start included.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    On Linux from ``VmHWM``: ``ru_maxrss`` of a child also counts the parent's
    memory at the fork, so a big parent would inflate it.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def coldstart(path: Path) -> dict[str, float]:
    t0 = float(os.environ["PATTI_BENCH_T0"])
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = time.time() - t0

    mark("interpreter")
    from patti.tui import cli

    mark("import cli")
    from patti.core.i18n import set_language
    from patti.core.plugins import get_plugin_host

    set_language(None)
    host = get_plugin_host()
    cli.build_cli(host)
    mark("cli built")
    import asyncio

    from patti.core.services import Registry
    from patti.core.store import Store
    from patti.tui import app as app_module
    from patti.tui.app import OPEN_BEHIND_SCREEN_BYTES, PattiApp, StoreOpening
    from patti.tui.screens import DashboardScreen

    mark("import app")
    # The day's automatic backup is left out: the backup figure measures it.
    app_module._auto_backup = lambda store: None
    opening: StoreOpening | None = None
    store: Store | None = None
    if path.stat().st_size >= OPEN_BEHIND_SCREEN_BYTES:  # as run_app: paint, then load
        opening = StoreOpening(path, host)
        app = PattiApp(start="dashboard", opening=opening)
    else:
        store = Store.open(path)
        mark("store open")
        host.startup(store)
        app = PattiApp(Registry(store, plugins=host), start="dashboard")

    async def first_paint(pilot: Any) -> None:
        while not app.screen.is_mounted:
            await asyncio.sleep(0.001)
        await app.screen.wait_for_refresh()
        mark("first paint")
        while not (isinstance(app.screen, DashboardScreen) and app.screen.is_mounted):
            await asyncio.sleep(0.001)
        await app.screen.wait_for_refresh()
        mark("dashboard")
        app.exit()

    try:
        app.run(headless=True, size=(120, 36), auto_pilot=first_paint)
    finally:
        if opening is not None:
            opening.close()
        if store is not None:
            store.close()
    marks["peak MB"] = _rss_mb()
    return marks


def memory(path: Path, year: int, word: str) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.patti_side import PattiEngine

    phases: dict[str, float] = {"imports": _rss_mb()}
    engine = PattiEngine()
    engine.open(path)
    try:
        phases["open"] = _rss_mb()
        engine.annual_report(year, sections=True)
        phases["annual report"] = _rss_mb()
        for end in range(1, len(word) + 1):
            engine.search(word[:end])
        phases["search"] = _rss_mb()
        engine.backup(path.with_name(path.name + ".memory-backup.json"))
        phases["backup"] = _rss_mb()
    finally:
        engine.close()
        path.with_name(path.name + ".memory-backup.json").unlink(missing_ok=True)
    phases["peak MB"] = _rss_mb()
    return phases


def floor_memory(path: Path) -> dict[str, float]:
    import gc

    import orjson

    before = _rss_mb()
    gc.disable()
    data = orjson.loads(path.read_bytes())
    gc.enable()
    return {"interpreter": before, "peak MB": _rss_mb(), "tables": float(len(data))}


def main(argv: list[str]) -> None:
    command, path = argv[0], Path(argv[1])
    if command == "coldstart":
        result = coldstart(path)
    elif command == "memory":
        result = memory(path, int(argv[2]), argv[3])
    elif command == "floor-memory":
        result = floor_memory(path)
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
