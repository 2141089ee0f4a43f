"""Every figure of issue #7, for patti and, in the same run, TinyDB, SQLite and the disk's floor.

    .venv/bin/python -m bench.run                    # 1k and 10k records
    .venv/bin/python -m bench.run --size 100k        # the full run (minutes)
    .venv/bin/python -m bench.run --size 1k,10k --json figures.json

Prints the machine, then one Markdown table per size (paste it into
docs/performance.md): patti's value, TinyDB's JSONStorage, SQLite (WAL,
synchronous=FULL) and the floor where they can do the same work, the ratios
patti/SQLite and patti/floor (medians), and the target with a mark. The
targets are those of the issue, stated for 100,000 records; smaller sizes
are marked against them too. Figures, not assertions: nothing fails.

Store-level figures use a copy of the generated store per engine in a
scratch folder on the repository's disk (``--tmp`` to choose another; a
tmpfs would fake the fsyncs). Single writes are timed n=200 times after 3
warm-ups; an engine slower than the time budget per figure (``--budget``)
stops at 3-5 samples and the table says so.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import orjson

if __package__ in (None, ""):  # ``python bench/run.py``: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import tui_figures
from bench.competitors import (
    Engine,
    FloorEngine,
    SQLiteEngine,
    TinyDBEngine,
)
from bench.generate import (
    CACHE,
    DEFAULT_SEED,
    Generated,
    cache_path,
    ensure_store,
    parse_size,
    size_label,
)
from bench.patti_side import PattiEngine
from bench.timing import (
    DEFAULT_BUDGET,
    Samples,
    fmt_ms,
    fmt_ratio,
    machine_info,
    measure,
)

ENGINES: dict[str, Callable[[], Engine]] = {
    "patti": PattiEngine,
    "tinydb": TinyDBEngine,
    "sqlite": SQLiteEngine,
    "floor": FloorEngine,
}
COLUMNS = ("patti", "TinyDB", "SQLite", "floor")
SEARCH_REPEATS = 3
TRANSACTION = 500


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- what is asked of every engine ------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """The same inputs for every engine, drawn once per size from the generated store."""

    get_ids: list[int]
    update_ids: list[int]
    delete_ids: list[int]
    insert_docs: list[dict[str, Any]]
    batches: list[list[dict[str, Any]]]
    word: str
    year: int

    @classmethod
    def draw(cls, generated: Generated, n: int, seed: int) -> Workload:
        rng = random.Random(f"workload-{seed}-{generated.total}")
        activities = orjson.loads(generated.path.read_bytes())["activities"]
        ids = [int(k) for k in activities]
        picked = rng.sample(ids, min(len(ids), 2 * (n + 3)))
        get_ids = rng.sample(ids, min(len(ids), n + 3))

        def fresh(doc: dict[str, Any], serial: int) -> dict[str, Any]:
            return {**doc, "title": f"{doc['title']} (bis {serial})"}

        templates = [activities[str(i)] for i in rng.choices(ids, k=n + 3)]
        batches = [
            [fresh(activities[str(i)], b) for i in rng.choices(ids, k=TRANSACTION)]
            for b in range(6)
        ]
        return cls(
            get_ids=get_ids,
            update_ids=picked[: n + 3],
            delete_ids=picked[n + 3 :],
            insert_docs=[fresh(doc, i) for i, doc in enumerate(templates)],
            batches=batches,
            word=str(generated.manifest["search_word"]),
            year=int(generated.manifest["busiest_year"]),
        )

    def keystrokes(self) -> list[str]:
        """The word typed key by key, ``SEARCH_REPEATS`` times."""
        return [self.word[:end] for end in range(1, len(self.word) + 1)] * SEARCH_REPEATS


def store_figures(
    engine: Engine, source: Path, work: Path, w: Workload, *, n: int, budget: float
) -> tuple[dict[str, Samples], dict[str, int]]:
    """The store-level figures of one engine, and its search hits per typed prefix."""
    figures: dict[str, Samples] = {}
    pristine = work / f"{engine.name}-open{source.suffix}"
    shutil.copyfile(source, pristine)

    def opens() -> Iterator[Callable[[], object]]:
        for _ in range(6):
            yield partial(engine.open, pristine)
            engine.close()  # between samples: not timed

    log(f"  {engine.name}: open")
    figures["open"] = measure(opens(), n=5, warmup=1, budget=budget, minimum=3)
    engine.close()
    pristine.unlink()

    working = work / f"{engine.name}{source.suffix}"
    shutil.copyfile(source, working)
    engine.open(working)
    hits: dict[str, int] = {}
    try:
        if isinstance(engine, FloorEngine):
            engine.index()  # precomputed lowercase text: the floor of a search
        else:
            log(f"  {engine.name}: get")
            figures["get"] = measure(
                (partial(engine.get, i) for i in w.get_ids), n=n, budget=budget, minimum=3
            )

        def search(text: str) -> None:
            hits[text] = engine.search(text)

        log(f"  {engine.name}: search")
        typed = [w.word[:1], *w.keystrokes()]
        figures["search"] = measure(
            (partial(search, t) for t in typed), n=len(typed) - 1, warmup=1, budget=budget
        )
        log(f"  {engine.name}: insert")
        figures["insert"] = measure(
            (partial(engine.insert, engine.prepare_insert(d)) for d in w.insert_docs),
            n=n,
            budget=budget,
            minimum=3,
        )
        log(f"  {engine.name}: update")
        figures["update"] = measure(
            (partial(engine.update, engine.prepare_update(i, _edit(i))) for i in w.update_ids),
            n=n,
            budget=budget,
            minimum=3,
        )
        log(f"  {engine.name}: delete")
        figures["delete"] = measure(
            (partial(engine.delete, i) for i in w.delete_ids), n=n, budget=budget, minimum=3
        )
        log(f"  {engine.name}: transaction of {TRANSACTION}")
        figures["txn"] = measure(
            (partial(engine.insert_many, [engine.prepare_insert(d) for d in b]) for b in w.batches),
            n=len(w.batches) - 1,
            warmup=1,
            budget=budget,
            minimum=3,
        )
        log(f"  {engine.name}: backup")
        figures["backup"] = measure(_backups(engine, work), n=3, warmup=1, budget=budget, minimum=2)
    finally:
        engine.close()
        working.unlink(missing_ok=True)
    return figures, hits


def _edit(record_id: int) -> dict[str, Any]:
    """The change every engine saves: an operator rewrites an activity's notes."""
    return {"notes": f"Aggiornato: scheda {record_id}."}


def _backups(engine: Engine, work: Path) -> Iterator[Callable[[], object]]:
    for i in range(4):
        dest = work / f"{engine.name}-backup-{i}.bak"
        yield partial(engine.backup, dest)
        dest.unlink(missing_ok=True)


# -- what only patti does ------------------------------------------------------------------


def app_figures(
    generated: Generated, work: Path, w: Workload, *, budget: float, reps: int
) -> tuple[dict[str, Samples], dict[str, Any]]:
    """Report, planner, restore, list screens, scrolling, memory and cold start."""
    figures: dict[str, Samples] = {}
    extra: dict[str, Any] = {}
    working = work / "patti-app.json"
    shutil.copyfile(generated.path, working)
    patti = PattiEngine()
    patti.open(working)
    try:
        for sections in (True, False):
            key = "report.sections" if sections else "report.figures"
            log(f"  patti: annual report {w.year} ({'with' if sections else 'without'} sections)")
            figures[key] = measure(
                (partial(patti.annual_report, w.year, sections=sections) for _ in range(7)),
                n=5,
                warmup=1,
                budget=budget,
                minimum=2,
            )
        log(f"  patti: annual report {w.year} after an edit")

        def edited() -> Iterator[Callable[[], None]]:
            """An activity edited before each report (untimed): what the report reads
            again after a commit, as an operator meets it after recording an activity."""
            for activity_id in w.update_ids:
                patti.update(patti.prepare_update(activity_id, _edit(activity_id)))
                yield partial(patti.annual_report, w.year, sections=True)

        figures["report.edited"] = measure(edited(), n=5, warmup=1, budget=budget, minimum=2)
        log("  patti: restore")
        source = work / "restore-source.json"
        patti.backup(source)

        def restores() -> Iterator[Callable[[], None]]:
            """An activity edited before each restore (untimed): a restore undoes a day's
            work, so the store and the backup differ, as when an operator meets it."""
            for activity_id in w.update_ids[:4]:
                patti.update(patti.prepare_update(activity_id, _edit(activity_id)))
                yield partial(patti.restore, source)

        figures["restore"] = measure(
            restores(),
            n=3,
            warmup=1,
            budget=budget,
            minimum=2,
        )
        shutil.rmtree(working.parent / "backups", ignore_errors=True)  # the safety backups
        log("  patti: planner (building the city: 1,000 classes, 300 associations)")
        pact_id, first_day = patti.add_planner_city()
        planned: list[int] = []

        def plan() -> None:
            planned.append(patti.plan(pact_id, first_day))

        figures["planner"] = measure(
            (plan for _ in range(4)), n=3, warmup=1, budget=budget, minimum=2
        )
        extra["planner_visits"] = planned[-1]
    finally:
        patti.close()
        working.unlink(missing_ok=True)

    fresh = work / "patti-tui.json"
    shutil.copyfile(generated.path, fresh)
    log(f"  patti: list screens and scrolling (run_test, {reps} apps)")
    patti.open(fresh)
    try:
        gc.collect()
        figures.update(tui_figures.list_screens(patti.registry, reps=reps))
    finally:
        patti.close()
    log("  patti: peak memory (child process)")
    extra["memory"] = tui_figures.peak_memory(fresh, w.year, w.word)
    extra["floor_memory"] = tui_figures.floor_memory(fresh)
    log(f"  patti: cold start ({reps} child processes)")
    figures["coldstart"], extra["coldstart_phases"] = tui_figures.cold_start(fresh, reps=reps)
    fresh.unlink(missing_ok=True)
    return figures, extra


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A line of the table: which figure, how it is judged against its target."""

    key: str
    label: str
    target: float | None = None
    """Seconds (or MB) the median must not exceed."""
    target95: float | None = None
    """Seconds the 95th percentile must not exceed."""
    both: bool = False
    """Show p50 / p95 rather than the median alone."""


MS = 1e-3
ROWS: tuple[Row, ...] = (
    Row("insert", "durable single insert, p50 / p95", 1 * MS, 5 * MS, both=True),
    Row("update", "durable single update, p50 / p95", 1 * MS, 5 * MS, both=True),
    Row("delete", "durable single delete, p50 / p95", 1 * MS, 5 * MS, both=True),
    Row("txn", f"transaction of {TRANSACTION} activities", 50 * MS),
    Row("open", "open", 1.0),
    Row("get", "get by id, p50", 0.05 * MS),
    Row("search", "search-as-you-type, per keystroke, p50 / p95", None, 16 * MS, both=True),
    Row("screen.pacts.first", "pacts list ready, first visit", 200 * MS),
    Row("screen.pacts.again", "pacts list ready, shown again", 200 * MS),
    Row("screen.partners.first", "partners list ready, first visit", 200 * MS),
    Row("screen.partners.again", "partners list ready, shown again", 200 * MS),
    Row("screen.activities.first", "agenda ready, first visit", 200 * MS),
    Row("screen.activities.again", "agenda ready, shown again", 200 * MS),
    Row("scroll.cursor", "scrolling: one row down, p50 / p95", None, 16 * MS, both=True),
    Row("scroll.page", "scrolling: next page of 200 rows", 200 * MS),
    Row("report.sections", "annual report (busiest year, plugin sections)", 300 * MS),
    Row("report.figures", "annual report, figures only (dashboard)", 300 * MS),
    Row("report.edited", "annual report after an edit (plugin sections)", 300 * MS),
    Row("planner", "planner, 1,000 classes × 300 associations", 2.0),
    Row("backup", "backup", 1.0),
    Row("restore", "restore with full validation", 3.0),
    Row("memory", "peak memory (open, report, search, backup)", 600.0),
    Row("coldstart", "TUI cold start to first paint", 1.0),
)


def _cell(row: Row, samples: Samples | None) -> str:
    if samples is None or not samples.values:
        return ""
    text = fmt_ms(samples.p50)
    if row.both:
        text += f" / {fmt_ms(samples.p95)}"
    if samples.note.startswith("budget"):
        text += f" (n={samples.n})"
    return text


def _passes(row: Row, samples: Samples) -> bool:
    ok = True
    if row.target is not None:
        ok = samples.p50 <= row.target
    if row.target95 is not None:
        ok = ok and samples.p95 <= row.target95
    return ok


def _target_text(row: Row) -> str:
    if row.key == "memory":
        return f"≤ {row.target:.0f} MB"
    parts = []
    if row.target is not None:
        parts.append(fmt_ms(row.target))
    if row.target95 is not None:
        parts.append(fmt_ms(row.target95) + (" p95" if row.target is None else ""))
    return "≤ " + " / ".join(parts)


def table(result: dict[str, Any]) -> str:
    """The Markdown table of one size's figures."""
    figures: dict[str, dict[str, Samples]] = result["samples"]
    manifest = result["manifest"]
    counts = manifest["counts"]
    lines = [
        f"#### {manifest['total']:,} records ({counts['partners']:,} partners, "
        f"{counts['pacts']:,} pacts, {counts['activities']:,} activities; "
        f"{manifest['file_bytes'] / 1e6:.1f} MB, {manifest['bytes_per_record']} B/record)",
        "",
        "| figure | patti | TinyDB | SQLite | floor | patti/SQLite | patti/floor | target | |",
        "|---|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for row in ROWS:
        if row.key == "memory":
            lines.append(_memory_line(row, result.get("extra", {})))
            continue
        by_engine = figures.get(row.key, {})
        patti = by_engine.get("patti")
        if patti is None or not patti.values:
            continue
        cells = [_cell(row, by_engine.get(name)) for name in COLUMNS]
        ratios = []
        for other in ("SQLite", "floor"):
            theirs = by_engine.get(other)
            ok = theirs is not None and theirs.values and theirs.p50 > 0
            ratios.append(fmt_ratio(patti.p50 / theirs.p50) if ok and theirs else "")
        mark = "✓" if _passes(row, patti) else "✗"
        lines.append(
            f"| {row.label} | " + " | ".join([*cells, *ratios, _target_text(row), mark]) + " |"
        )
    lines.append("")
    lines.extend(_notes(result))
    return "\n".join(lines)


def _memory_line(row: Row, extra: dict[str, Any]) -> str:
    memory = extra.get("memory")
    if not memory:
        return ""
    patti = float(memory["peak MB"])
    floor = float(extra.get("floor_memory", {}).get("peak MB", 0)) or None
    mark = "✓" if row.target is not None and patti <= row.target else "✗"
    cells = [f"{patti:.0f} MB", "", "", f"{floor:.0f} MB" if floor else ""]
    ratios = ["", fmt_ratio(patti / floor) if floor else ""]
    return f"| {row.label} | " + " | ".join([*cells, *ratios, _target_text(row), mark]) + " |"


def _notes(result: dict[str, Any]) -> list[str]:
    notes = []
    hits = result.get("search_hits", {})
    word = result["manifest"]["search_word"]
    full = {name: h[word] for name, h in hits.items() if word in h}
    if full:
        shown = ", ".join(f"{name} {n:,}" for name, n in full.items())
        notes.append(f"Search typed «{word}» key by key; hits for the whole word: {shown}.")
    extra = result.get("extra", {})
    phases = extra.get("coldstart_phases")
    if phases:
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in phases.items() if k != "peak MB")
        notes.append(f"Cold start (median run), seconds since spawn: {steps}.")
    memory = extra.get("memory")
    if memory:
        steps = ", ".join(f"{k} {v:.0f}" for k, v in memory.items() if k != "peak MB")
        notes.append(f"Peak memory after each step (MB): {steps}.")
    if "planner_visits" in extra:
        notes.append(f"The planner proposed {extra['planner_visits']:,} visits.")
    return [f"- {n}" for n in notes]


# -- the command -----------------------------------------------------------------------------


def run_size(total: int, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    label = size_label(total)
    log(f"[{label}] store")
    generated = ensure_store(total, args.seed, log=log)
    sqlite_source = cache_path(total, args.seed, ".sqlite")
    if "sqlite" in args.engines and not sqlite_source.exists():
        log(f"[{label}] building the SQLite copy")
        SQLiteEngine.build(orjson.loads(generated.path.read_bytes()), sqlite_source)
    workload = Workload.draw(generated, args.n, args.seed)
    samples: dict[str, dict[str, Samples]] = {}
    hits: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix=f"run-{label}-", dir=scratch) as tmp:
        work = Path(tmp)
        for key in args.engines:
            engine = ENGINES[key]()
            source = sqlite_source if key == "sqlite" else generated.path
            log(f"[{label}] {engine.name}")
            found, hits[engine.name] = store_figures(
                engine, source, work, workload, n=args.n, budget=args.budget
            )
            for figure, value in found.items():
                samples.setdefault(figure, {})[engine.name] = value
            gc.collect()
        extra: dict[str, Any] = {}
        if not args.no_app:
            log(f"[{label}] patti: app-level figures")
            found, extra = app_figures(
                generated, work, workload, budget=args.budget, reps=args.reps
            )
            for figure, value in found.items():
                samples.setdefault(figure, {})["patti"] = value
    return {
        "manifest": generated.manifest,
        "samples": samples,
        "search_hits": hits,
        "extra": extra,
    }


def _json(result: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in result.items() if k != "samples"}
    out["figures"] = {
        figure: {engine: s.as_json() for engine, s in by_engine.items()}
        for figure, by_engine in result["samples"].items()
    }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--size", action="append", help="1k, 10k, 100k or a number; repeatable or comma-separated"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated subset of: " + ", ".join(ENGINES),
    )
    parser.add_argument("--no-app", action="store_true", help="store-level figures only")
    parser.add_argument("--n", type=int, default=200, help="samples per single-write figure")
    parser.add_argument("--reps", type=int, default=3, help="apps / processes per TUI figure")
    parser.add_argument(
        "--budget", type=float, default=DEFAULT_BUDGET, help="seconds per figure and engine"
    )
    parser.add_argument("--tmp", type=Path, default=CACHE / "work", help="scratch folder")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    tui_figures.fast_frames()  # before anything imports Textual
    args.engines = [e.strip().lower() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    sizes = [parse_size(p) for text in args.size or ["1k,10k"] for p in text.split(",")]
    args.tmp.mkdir(parents=True, exist_ok=True)

    machine = machine_info(args.tmp)
    started = datetime.now(UTC)
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()) + ".")
    print()
    command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
    print(f"Run: {started:%Y-%m-%d %H:%M} UTC, `{command}`")
    print()
    results: dict[str, Any] = {}
    for total in sizes:
        began = time.perf_counter()
        result = run_size(total, args, args.tmp)
        log(f"[{size_label(total)}] done in {time.perf_counter() - began:.0f} s")
        results[size_label(total)] = result
        print(table(result))
        print(flush=True)
    if args.json:
        payload = {
            "machine": machine,
            "started": started.isoformat(),
            "argv": argv if argv is not None else sys.argv[1:],
            "sizes": {label: _json(r) for label, r in results.items()},
        }
        args.json.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
        log(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
