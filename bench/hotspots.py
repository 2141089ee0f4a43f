"""One of bench.run's patti figures under cProfile: where its time goes.

    .venv/bin/python -m bench.hotspots update --size 100k
    .venv/bin/python -m bench.hotspots report --size 10k --sort cumulative --top 40

The figure runs as in ``bench.run`` (same generated store, same inputs, a
copy in the scratch folder), a few times over, and the functions that took
the most time are printed (``--sort tottime``, the default, for the
functions that burn it; ``cumulative`` for the call paths that lead there).
Profiling slows Python code down several times: read shares, not durations.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python bench/hotspots.py``: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import tui_figures
from bench.generate import CACHE, DEFAULT_SEED, ensure_store, parse_size
from bench.patti_side import PattiEngine
from bench.run import Workload, _edit

FIGURES = (
    "open",
    "get",
    "search",
    "insert",
    "update",
    "delete",
    "txn",
    "report",
    "report-figures",
    "backup",
    "restore",
    "planner",
    "screens",
)
REPEATS = 20
"""Single operations (get, insert, update, delete) are profiled this many times."""


def _each(op: Callable[[Any], object], items: list[Any]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            op(item)

    return run


def _work(
    figure: str, engine: PattiEngine, w: Workload, store: Path, work: Path
) -> Callable[[], None]:
    """The profiled operation; whatever it needs is prepared here, unprofiled."""
    if figure == "open":

        def reopen(_: object) -> None:
            engine.close()
            engine.open(store)

        return _each(reopen, [None] * 3)
    if figure == "get":
        return _each(engine.get, w.get_ids[:REPEATS])
    if figure == "search":
        typed = w.keystrokes()
        engine.search(typed[0])  # the index is built when a list is first shown
        return _each(engine.search, typed)
    if figure == "insert":
        return _each(engine.insert, [engine.prepare_insert(d) for d in w.insert_docs[:REPEATS]])
    if figure == "update":
        return _each(
            lambda i: engine.update(engine.prepare_update(i, _edit(i))), w.update_ids[:REPEATS]
        )
    if figure == "delete":
        return _each(engine.delete, w.delete_ids[:REPEATS])
    if figure == "txn":
        return _each(engine.insert_many, [[engine.prepare_insert(d) for d in w.batches[0]]])
    if figure in ("report", "report-figures"):
        sections = figure == "report"
        return _each(lambda year: engine.annual_report(year, sections=sections), [w.year])
    if figure == "backup":
        return _each(engine.backup, [work / "profile-backup.json"])
    if figure == "restore":
        source = work / "restore-source.json"
        engine.backup(source)
        return _each(engine.restore, [source])
    if figure == "planner":
        pact_id, first_day = engine.add_planner_city()
        return _each(lambda pact: engine.plan(pact, first_day), [pact_id])
    if figure == "screens":
        return _each(lambda reps: tui_figures.list_screens(engine.registry, reps=reps), [1])
    raise SystemExit(f"unknown figure {figure!r}: choose among {', '.join(FIGURES)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hotspots", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("figure", choices=FIGURES)
    parser.add_argument("--size", default="10k")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    tui_figures.fast_frames()
    generated = ensure_store(parse_size(args.size), args.seed)
    workload = Workload.draw(generated, REPEATS, args.seed)
    (CACHE / "work").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="profile-", dir=CACHE / "work") as tmp:
        work = Path(tmp)
        store = work / "patti.json"
        shutil.copyfile(generated.path, store)
        engine = PattiEngine()
        engine.open(store)
        try:
            op = _work(args.figure, engine, workload, store, work)
            profiler = cProfile.Profile()
            profiler.runcall(op)
        finally:
            engine.close()
    stats = pstats.Stats(profiler)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
