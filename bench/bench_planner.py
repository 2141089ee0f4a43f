"""How fast the school_testimonies planner is, on synthetic cities of growing size.

    python bench/bench_planner.py            # every size
    python bench/bench_planner.py city       # only the named sizes

Each city is generated deterministically (its own ``random.Random``): school
institutes with one lower-secondary school each, ten classes per school,
associations free on one to three weekdays (a few on single dates only) with
5-10 visits each (4-9 in the tight city, whose capacity falls short), a
school year with the usual Italian closures (two weeks in the stress case). The store
is a real one in a temporary folder; the figure is the median wall time of
``SchoolTestimonies().plan(pact, store)`` over three runs, store reads and
details validation included. Figures, not assertions: the suite never
times anything.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from patti.core.demo import SCHOOL_CLOSURES, TESTIMONY_WINDOW
from patti.core.model import Activity, ActivityStatus, Membership, Pact, Partner, PartnerKind
from patti.core.store import Store
from patti.plugins.school_testimonies import SchoolTestimonies


@dataclass(frozen=True)
class Size:
    name: str
    schools: int
    associations: int
    visits: tuple[int, int]
    """The range ``max_visits`` is drawn from."""
    done_until: date | None = None
    """Record the visits of a first plan before this day as done, then plan again."""
    weeks: int | None = None
    """Shorten the window to this many weeks (a stress case: many gaps, much repair)."""


SIZES = (
    Size("small", 10, 30, (5, 10)),
    Size("city", 100, 300, (5, 10)),
    Size("city-half-done", 100, 300, (5, 10), done_until=date(2022, 1, 31)),
    Size("city-tight", 100, 300, (4, 9)),
    Size("city-2-weeks", 100, 300, (5, 10), weeks=2),
)

# The demo's school year 2021/22, from its first Monday, with its closures.
WINDOW = (date(2021, 10, 4), TESTIMONY_WINDOW[1])
CLOSURES = SCHOOL_CLOSURES
LABELS = ("1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "3D")


def build_city(store: Store, size: Size) -> Pact:
    """Partners and a testimonies pact for ``size``, in one durable write."""
    rng = random.Random(f"bench-{size.name}")
    members: list[Membership] = []
    schools: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    with store.transaction():
        for n in range(size.schools):
            institute = store.add(
                Partner(name=f"Istituto Comprensivo {n + 1}", kind=PartnerKind.SCHOOL_INSTITUTE)
            )
            school = store.add(
                Partner(
                    name=f"Scuola secondaria {n + 1}",
                    kind=PartnerKind.SCHOOL,
                    parent_id=institute.id,
                )
            )
            assert institute.id is not None and school.id is not None
            members += [
                Membership(partner_id=institute.id, role="school_institute"),
                Membership(partner_id=school.id, role="school"),
            ]
            classes = [
                {"label": label, "grade": int(label[0]), "pupils": rng.randint(17, 28)}
                for label in LABELS
            ]
            schools.append({"partner_id": school.id, "classes": classes})
        first, last = WINDOW
        if size.weeks is not None:
            last = first + timedelta(weeks=size.weeks, days=-3)
        span = (last - first).days
        for n in range(size.associations):
            kind = PartnerKind.INFORMAL_GROUP if rng.random() < 0.2 else PartnerKind.ASSOCIATION
            partner = store.add(Partner(name=f"Associazione {n + 1}", kind=kind))
            assert partner.id is not None
            members.append(Membership(partner_id=partner.id, role="association"))
            if rng.random() < 0.05:
                weekdays: list[int] = []
                dates = sorted(
                    {(first + timedelta(days=rng.randrange(span))).isoformat() for _ in range(12)}
                )
            else:
                weekdays = sorted(rng.sample(range(5), rng.randint(1, 3)))
                dates = []
            associations.append(
                {
                    "partner_id": partner.id,
                    "topics": [f"tema {n + 1}"],
                    "weekdays": weekdays,
                    "dates": dates,
                    "max_visits": rng.randint(*size.visits),
                }
            )
        pact = store.add(
            Pact(
                code="PdC-2021-01",
                title="Testimonianze (bench)",
                type="school_testimonies",
                year=2021,
                members=members,
                details={
                    "school_year": "2021/22",
                    "window_start": first.isoformat(),
                    "window_end": last.isoformat(),
                    "excluded_periods": [
                        {"start": a.isoformat(), "end": b.isoformat()} for a, b in CLOSURES
                    ],
                    "schools": schools,
                    "associations": associations,
                    "testimonies_per_class": 2,
                    "min_days_between_visits_to_a_class": 21,
                },
            )
        )
    if size.done_until is not None:
        record_first_half(store, pact, size.done_until)
    return pact


def record_first_half(store: Store, pact: Pact, until: date) -> None:
    """Plan once and record the visits before ``until`` as done, as if the year had begun."""
    plan = SchoolTestimonies().plan(pact, store)
    cutoff = datetime.combine(until, datetime.min.time())
    with store.transaction():
        for row in plan.activities:
            if row["starts_at"] < cutoff:
                done = {**row, "status": ActivityStatus.DONE}
                store.add(Activity.model_validate(done))


def measure(size: Size, folder: Path) -> dict[str, Any]:
    with Store.open(folder / size.name / "patti.json") as store:
        pact = build_city(store, size)
        planner = SchoolTestimonies()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            plan = planner.plan(pact, store, seed=0)
            times.append(time.perf_counter() - started)
    stats = plan.stats
    return {
        "size": size.name,
        "schools": stats["schools"],
        "classes": stats["classes"],
        "assoc.": stats["associations"],
        "requested": stats["visits_requested"],
        "done": stats["visits_done"],
        "planned": stats["visits_planned"],
        "gaps": len(plan.gaps),
        "short gap": stats["visits_short_gap"],
        "load min/max": f"{stats['load_min']}/{stats['load_max']}",
        "spread": stats["load_spread"],
        "seconds": f"{statistics.median(times):.3f}",
    }


def main(argv: list[str]) -> None:
    wanted = [s for s in SIZES if not argv or s.name in argv]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(size, Path(tmp)) for size in wanted]
    if not rows:
        print("no such size; choose among:", ", ".join(s.name for s in SIZES))
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.rjust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).rjust(widths[c]) for c in columns))


if __name__ == "__main__":
    main(sys.argv[1:])
