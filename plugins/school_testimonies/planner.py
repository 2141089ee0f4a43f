"""Which association testifies in which class, on which day and in which time slot.

Plain data in, plain data out: the plugin turns a pact's details and the
store into a :class:`Problem`, so the algorithm is tested and measured
without a store, and never depends on how the store orders things.

Hard rules:

- a class hears an association at most once, and has at most one visit per slot;
- an association is in at most one class per slot and at one school per day:
  it may meet two classes of the same school in one morning (one per slot),
  but never travels between schools in a morning;
- nobody exceeds ``max_visits`` (done visits count);
- a visit falls on a plannable day (inside the window, outside excluded
  periods) that the association offers and on which the school holds lessons.

Soft rules:

- a class's visits are at least ``min_gap`` days apart. The whole plan is
  first made with the full gap; only classes still short are retried with
  half the gap, one day, then the same day (another slot), and those
  visits are marked ``short_gap``;
- the load is balanced: the least-loaded association that can come is chosen.

The algorithm is greedy, in rounds: every class gets its first missing visit
before any class gets its second, so scarce associations are shared rather
than used up by the first classes. Within a round the most constrained
classes go first (fewest associations available on their school's days,
then fewest school days). Each class's visits aim at evenly spaced target
days (a per-class random offset spreads classes over the window) and take
the nearest free day; a day on which the association is already at the
same school comes first, so one trip serves two classes. A class still
short at the end gets a repair step: a planned visit of an association it
could hear is handed to an association with visits to spare, freeing the
first one (one-step augmenting path, undone when it does not help, with a
global budget). Work per visit is a sort of the school's candidate
associations plus a walk over one association's still-unbound days, kept in
sorted lists: the city-size case (1,000 classes, 300 associations) plans in
a fraction of a second.

``random.Random(seed)`` only breaks ties (the order of equally constrained
classes, of equally loaded associations, and the classes' target offsets);
inputs are lists in the details' order, so the result does not depend on
hash randomisation.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time

# Why a class got fewer visits than requested (rendered in words by the plugin).
SCHOOL_MISSING = "school_missing"
NOT_A_SCHOOL = "not_a_school"
NO_INSTITUTE = "no_institute"
NO_DAYS = "no_days"
NO_ASSOCIATION = "no_association"
TOO_FEW_ASSOCIATIONS = "too_few_associations"
ALL_AT_MAX = "all_at_max"
NO_FREE_SLOT = "no_free_slot"

REPAIR_BUDGET = 100_000
"""Repairs stop after trying this many replacement associations in all, so a city that
cannot be planned completely is still answered in well under a second."""

ELSEWHERE = -1
"""A day an association spends at a place that is not one of the pact's schools."""


@dataclass(frozen=True, slots=True)
class SchoolSpec:
    """A school of the pact; ``problem`` (a reason code) when it cannot be planned."""

    partner_id: int
    weekdays: frozenset[int]
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ClassSpec:
    """A class: ``school`` is an index into :attr:`Problem.schools`."""

    school: int
    label: str
    pupils: int


@dataclass(frozen=True, slots=True)
class OfferSpec:
    """An association offering testimonies: the days it can come and how many times."""

    partner_id: int
    weekdays: frozenset[int]
    dates: frozenset[date]
    max_visits: int


@dataclass(frozen=True, slots=True)
class Commitment:
    """Something a partner already does at a given time, which the plan must respect.

    A done testimony of the pact has ``counts`` set (it uses one of the
    association's visits), its ``klass`` when it matched a class (the class
    has heard that association) and its ``school`` (the association spent
    the day there; ``None`` with ``counts`` means an unknown place). Other
    commitments (other pacts, meetings) only block the slots they overlap.
    """

    partner_id: int
    day: date
    start: time
    end: time
    school: int | None = None
    klass: int | None = None
    counts: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the planner needs, as plain data in a stable order."""

    days: Sequence[date]
    """Plannable days, ascending: the window minus excluded periods and dates."""
    slots: Sequence[tuple[time, time]]
    """The daily time slots, ascending and not overlapping."""
    schools: Sequence[SchoolSpec]
    classes: Sequence[ClassSpec]
    offers: Sequence[OfferSpec]
    commitments: Sequence[Commitment] = ()
    per_class: int = 2
    min_gap: int = 14


@dataclass(frozen=True, slots=True)
class Visit:
    """A proposed visit: association ``partner_id`` meets class ``klass`` on ``day`` in ``slot``."""

    klass: int
    partner_id: int
    day: date
    slot: int
    short_gap: bool = False


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A class that will hear fewer associations than requested, and why."""

    klass: int
    heard: int
    wanted: int
    reason: str
    candidates: int = 0
    """Associations (not yet heard by the class) offering a day the school holds lessons."""
    at_max: int = 0
    """How many of those have reached their ``max_visits``."""


@dataclass
class Solution:
    """The planner's answer."""

    visits: list[Visit] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    loads: dict[int, int] = field(default_factory=dict)
    """Visits per offering association (done and planned), by partner id."""


def gap_levels(min_gap: int) -> list[int]:
    """The gaps tried in turn: the requested one, then half, one day, the same day."""
    return sorted({min_gap, min_gap // 2, min(1, min_gap), 0}, reverse=True)


def solve(problem: Problem, *, seed: int = 0) -> Solution:
    """Plan the missing visits of every class of ``problem``; deterministic for ``seed``."""
    return _Solver(problem, seed).run()


@dataclass(frozen=True, slots=True)
class _Booking:
    """A planned visit inside the solver: indices, the slot's bit, the gap it was placed with."""

    klass: int
    offer: int
    day: int
    bit: int
    gap: int


def _holds(values: list[int], value: int) -> bool:
    """Whether sorted ``values`` contains ``value``."""
    j = bisect_left(values, value)
    return j < len(values) and values[j] == value


def _slot_bits(slots: Sequence[tuple[time, time]], start: time, end: time) -> int:
    """The slots a commitment from ``start`` to ``end`` overlaps, as a bitmask."""
    bits = 0
    for index, (slot_start, slot_end) in enumerate(slots):
        if start < slot_end and slot_start < end:
            bits |= 1 << index
    return bits


class _Solver:
    """The planner's working state: indices everywhere, partner ids only at the edges."""

    def __init__(self, problem: Problem, seed: int) -> None:
        p = self.p = problem
        rng = random.Random(seed)
        self.n_days = len(p.days)
        self.ordinals = [d.toordinal() for d in p.days]
        self.full = (1 << len(p.slots)) - 1
        self.per_class = p.per_class
        day_index = {d: i for i, d in enumerate(p.days)}
        weekdays = [d.weekday() for d in p.days]

        # Which plannable days each school holds lessons on, shared by schools
        # with the same week.
        week_flags: dict[frozenset[int], bytearray] = {}
        self.school_ok: list[bytearray] = []
        for school in p.schools:
            flags = week_flags.get(school.weekdays)
            if flags is None:
                flags = bytearray(1 if wd in school.weekdays else 0 for wd in weekdays)
                week_flags[school.weekdays] = flags
            self.school_ok.append(flags)
        self.school_days = [sum(flags) for flags in self.school_ok]

        # Association state.
        n_offers = len(p.offers)
        self.offer_of = {o.partner_id: a for a, o in enumerate(p.offers)}
        self.cap = [o.max_visits for o in p.offers]
        self.load = [0] * n_offers
        self.mask: list[dict[int, int]] = [{} for _ in range(n_offers)]
        self.bound: list[dict[int, int]] = [{} for _ in range(n_offers)]
        self.fixed: list[set[int]] = [set() for _ in range(n_offers)]
        """Days bound by commitments: releasing a planned visit never unbinds them."""
        self.planned_on: list[dict[int, int]] = [{} for _ in range(n_offers)]
        """Planned visits per association and day: the last one released unbinds the day."""
        offered: list[list[int]] = []
        for o in p.offers:
            days = [i for i, wd in enumerate(weekdays) if wd in o.weekdays]
            extra = sorted(day_index[d] for d in o.dates if d in day_index)
            offered.append(sorted(set(days).union(extra)) if extra else days)

        # Class state.
        n_classes = len(p.classes)
        self.heard: list[set[int]] = [set() for _ in range(n_classes)]
        self.cmask: list[dict[int, int]] = [{} for _ in range(n_classes)]
        self.cdays: list[list[int]] = [[] for _ in range(n_classes)]

        for c in p.commitments:
            self._commit(c, day_index.get(c.day))

        # Unbound offered days with a free slot, and days bound to a school with a free slot.
        self.unbound: list[list[int]] = []
        self.open_at: list[dict[int, list[int]]] = []
        for a, days in enumerate(offered):
            mask, bound = self.mask[a], self.bound[a]
            self.unbound.append([i for i in days if i not in bound and mask.get(i, 0) != self.full])
            open_at: dict[int, list[int]] = {}
            for i in days:
                place = bound.get(i)
                if place is not None and place != ELSEWHERE and mask.get(i, 0) != self.full:
                    open_at.setdefault(place, []).append(i)
            self.open_at.append(open_at)

        # Candidate associations per school: those offering at least one school day.
        week_candidates: dict[frozenset[int], list[int]] = {}
        self.candidates: list[list[int]] = []
        for s, school in enumerate(p.schools):
            found = week_candidates.get(school.weekdays)
            if found is None:
                flags = self.school_ok[s]
                found = [
                    a
                    for a in range(n_offers)
                    if self.cap[a] > 0 and any(flags[i] for i in offered[a])
                ]
                week_candidates[school.weekdays] = found
            self.candidates.append(found)

        # Tie-breakers, drawn in a fixed order.
        offer_order = list(range(n_offers))
        rng.shuffle(offer_order)
        self.rank = [0] * n_offers
        for position, a in enumerate(offer_order):
            self.rank[a] = position
        class_order = list(range(n_classes))
        rng.shuffle(class_order)
        self.class_rank = [0] * n_classes
        for position, k in enumerate(class_order):
            self.class_rank[k] = position
        self.offset = [rng.random() for _ in range(n_classes)]
        self.need = [max(0, p.per_class - len(h)) for h in self.heard]
        self.candidate_of = [bytearray(n_offers) for _ in p.schools]
        for s, found in enumerate(self.candidates):
            for a in found:
                self.candidate_of[s][a] = 1
        self.booked: dict[int, _Booking] = {}
        self.by_offer: list[dict[int, None]] = [{} for _ in range(n_offers)]
        self.next_id = 0
        self.budget = REPAIR_BUDGET

    def _commit(self, c: Commitment, i: int | None) -> None:
        bits = _slot_bits(self.p.slots, c.start, c.end)
        a = self.offer_of.get(c.partner_id)
        if a is not None:
            if c.counts:
                self.load[a] += 1
            if i is not None:
                self.mask[a][i] = self.mask[a].get(i, 0) | bits
                if c.counts or c.school is not None:
                    place = ELSEWHERE if c.school is None else c.school
                    previous = self.bound[a].get(i, place)
                    self.bound[a][i] = place if previous == place else ELSEWHERE
                    self.fixed[a].add(i)
        if c.klass is not None:
            self.heard[c.klass].add(c.partner_id)
            self.cdays[c.klass].append(c.day.toordinal())
            if i is not None:
                self.cmask[c.klass][i] = self.cmask[c.klass].get(i, 0) | bits

    # -- planning -----------------------------------------------------------------

    def run(self) -> Solution:
        p = self.p
        plannable = [
            k
            for k, cls in enumerate(p.classes)
            if self.need[k] and p.schools[cls.school].problem is None
        ]
        plannable.sort(
            key=lambda k: (
                len(self.candidates[p.classes[k].school]),
                self.school_days[p.classes[k].school],
                -self.need[k],
                self.class_rank[k],
            )
        )
        levels = gap_levels(p.min_gap)
        for gap in levels:
            progress = True
            while progress:
                progress = False
                for k in plannable:
                    if self.need[k] and self._assign(k, gap):
                        progress = True
            plannable = [k for k in plannable if self.need[k]]
            if not plannable:
                break
        for k in plannable:
            while self.need[k] and self._repair(k, levels):
                pass
        visits = [
            Visit(
                klass=b.klass,
                partner_id=p.offers[b.offer].partner_id,
                day=p.days[b.day],
                slot=b.bit.bit_length() - 1,
                short_gap=b.gap < p.min_gap,
            )
            for b in self.booked.values()
        ]
        return Solution(
            visits=visits,
            shortfalls=[self._shortfall(k) for k in range(len(p.classes)) if self.need[k]],
            loads={o.partner_id: self.load[a] for a, o in enumerate(p.offers)},
        )

    def _target(self, k: int) -> int:
        """The day index class ``k``'s next visit aims at: its share of the window."""
        done = self.per_class - self.need[k]
        return min(self.n_days - 1, int((done + self.offset[k]) * self.n_days / self.per_class))

    def _assign(self, k: int, gap: int, pool: Sequence[int] | None = None) -> int | None:
        """Book one more visit for class ``k`` with the least-loaded association that can come.

        ``pool`` narrows the associations tried. Returns the booking's id, or
        ``None`` when nobody can come.
        """
        s = self.p.classes[k].school
        allowed = self._allowed(k, s, gap)
        if allowed is None:
            return None
        heard = self.heard[k]
        offers = self.p.offers
        load, cap, rank, unbound, open_at = (
            self.load,
            self.cap,
            self.rank,
            self.unbound,
            self.open_at,
        )
        target = self._target(k)
        ready = [
            a
            for a in (self.candidates[s] if pool is None else pool)
            if load[a] < cap[a] and (unbound[a] or open_at[a].get(s))
        ]
        ready.sort(key=lambda a: (load[a], rank[a]))
        for a in ready:
            if offers[a].partner_id in heard:
                continue
            found = self._find(a, k, s, target, allowed)
            if found is not None:
                return self._book(a, k, found[0], found[1], gap)
        return None

    def _allowed(self, k: int, s: int, gap: int) -> bytearray | None:
        """Flags of the days class ``k`` may take a visit on: its school's days, at least
        ``gap`` days from its other visits; ``None`` when there is none (a quick no)."""
        if not self.school_days[s]:
            return None
        flags = self.school_ok[s]
        if not gap or not self.cdays[k]:
            return flags
        flags = bytearray(flags)
        for other in self.cdays[k]:
            lo = bisect_left(self.ordinals, other - gap + 1)
            hi = bisect_left(self.ordinals, other + gap)
            if hi > lo:
                flags[lo:hi] = bytes(hi - lo)
        return flags if any(flags) else None

    def _find(
        self, a: int, k: int, s: int, target: int, allowed: bytearray
    ) -> tuple[int, int] | None:
        """The day and free-slot bits nearest ``target`` on which ``a`` can meet class ``k``."""
        amask, cmask, full = self.mask[a], self.cmask[k], self.full
        # A day the association already spends at this school: one trip, two classes.
        for i in self.open_at[a].get(s, ()):
            if allowed[i]:
                bits = full & ~(amask.get(i, 0) | cmask.get(i, 0))
                if bits:
                    return i, bits
        days = self.unbound[a]
        hi = bisect_left(days, target)
        lo = hi - 1
        while lo >= 0 or hi < len(days):
            if hi < len(days) and (lo < 0 or days[hi] - target <= target - days[lo]):
                i = days[hi]
                hi += 1
            else:
                i = days[lo]
                lo -= 1
            if allowed[i]:
                bits = full & ~(amask.get(i, 0) | cmask.get(i, 0))
                if bits:
                    return i, bits
        return None

    def _book(self, a: int, k: int, i: int, bits: int, gap: int) -> int:
        """Record a visit of ``a`` to class ``k`` on day ``i`` in the lowest free slot."""
        s = self.p.classes[k].school
        bit = bits & -bits
        amask = self.mask[a]
        amask[i] = amask.get(i, 0) | bit
        self.cmask[k][i] = self.cmask[k].get(i, 0) | bit
        if i in self.bound[a]:
            if amask[i] == self.full:
                self.open_at[a][s].remove(i)
        else:
            self.bound[a][i] = s
            days = self.unbound[a]
            del days[bisect_left(days, i)]
            if amask[i] != self.full:
                insort(self.open_at[a].setdefault(s, []), i)
        self.planned_on[a][i] = self.planned_on[a].get(i, 0) + 1
        self.load[a] += 1
        self.heard[k].add(self.p.offers[a].partner_id)
        self.cdays[k].append(self.ordinals[i])
        self.need[k] -= 1
        self.next_id += 1
        self.booked[self.next_id] = _Booking(k, a, i, bit, gap)
        self.by_offer[a][self.next_id] = None
        return self.next_id

    def _release(self, booking_id: int) -> _Booking:
        """Undo :meth:`_book` exactly, so a failed repair leaves no trace."""
        b = self.booked.pop(booking_id)
        del self.by_offer[b.offer][booking_id]
        a, k, i = b.offer, b.klass, b.day
        s = self.p.classes[k].school
        self.mask[a][i] &= ~b.bit
        self.cmask[k][i] &= ~b.bit
        open_days = self.open_at[a].setdefault(s, [])
        was_open = _holds(open_days, i)
        self.planned_on[a][i] -= 1
        if not self.planned_on[a][i] and i not in self.fixed[a]:
            del self.bound[a][i]
            if was_open:
                open_days.remove(i)
            insort(self.unbound[a], i)
        elif not was_open:
            insort(open_days, i)
        self.load[a] -= 1
        self.heard[k].discard(self.p.offers[a].partner_id)
        self.cdays[k].remove(self.ordinals[i])
        self.need[k] += 1
        return b

    def _repair(self, k: int, levels: Sequence[int]) -> bool:
        """Free an association for class ``k`` by moving one of its visits to someone else.

        For each association ``a`` that could serve ``k`` but is full or has
        no day left, one of its planned visits (to class ``k2``) is handed to
        an association with visits to spare, if that frees ``a`` for ``k``.
        Failed attempts are undone; a budget keeps the worst case fast.
        """
        offers, load, cap = self.p.offers, self.load, self.cap
        spare = [
            b
            for b in range(len(offers))
            if load[b] < cap[b] and (self.unbound[b] or any(self.open_at[b].values()))
        ]
        if not spare:
            return False
        s = self.p.classes[k].school
        heard = self.heard[k]
        for a in sorted(self.candidates[s], key=lambda a: (load[a], self.rank[a])):
            if offers[a].partner_id in heard:
                continue
            for booking_id in list(self.by_offer[a]):
                if self.budget <= 0:
                    return False
                k2 = self.booked[booking_id].klass
                pool = [
                    b
                    for b in spare
                    if b != a
                    and self.candidate_of[self.p.classes[k2].school][b]
                    and offers[b].partner_id not in self.heard[k2]
                ]
                if not pool:
                    continue
                self.budget -= len(pool)
                moved = self._release(booking_id)
                for gap in levels:
                    replacement = self._assign(k2, gap, pool)
                    if replacement is None:
                        continue
                    for gap_k in levels:
                        allowed = self._allowed(k, s, gap_k)
                        if allowed is None:
                            continue
                        found = self._find(a, k, s, self._target(k), allowed)
                        if found is not None:
                            self._book(a, k, found[0], found[1], gap_k)
                            return True
                    self._release(replacement)
                    break
                self._book(a, k2, moved.day, moved.bit, moved.gap)
        return False

    # -- explaining ----------------------------------------------------------------

    def _shortfall(self, k: int) -> Shortfall:
        p = self.p
        s = p.classes[k].school
        heard = self.heard[k]
        wanted, got = p.per_class, len(heard)
        problem = p.schools[s].problem
        if problem is not None:
            return Shortfall(k, got, wanted, problem)
        if self.school_days[s] == 0:
            return Shortfall(k, got, wanted, NO_DAYS)
        unheard = [a for a in self.candidates[s] if p.offers[a].partner_id not in heard]
        at_max = sum(1 for a in unheard if self.load[a] >= self.cap[a])
        if not self.candidates[s]:
            reason = NO_ASSOCIATION
        elif len(unheard) < self.need[k]:
            reason = TOO_FEW_ASSOCIATIONS
        elif at_max == len(unheard):
            reason = ALL_AT_MAX
        else:
            reason = NO_FREE_SLOT
        return Shortfall(k, got, wanted, reason, candidates=len(unheard), at_max=at_max)
