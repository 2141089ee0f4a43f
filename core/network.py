"""The partner network: who works with whom, from the pacts and activities they share.

Two partners are tied when they are members of the same pact or took part
in the same activity; a tie's weight is how often (shared pacts plus shared
activities). A year's network uses the definitions of
:mod:`patti.core.reports`: its partners are exactly the partners involved in
that year, its pacts the pacts active in it (memberships covering the
year), its activities the ones of that year that count. The overall network
takes every live pact and every activity that counts, whatever the year.

The graph algorithms come from networkx, imported inside the functions that
need them: it costs about 0.3 s, which the CLI and the TUI pay only when a
network figure is asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .reports import (
    JsonReady,
    PactRef,
    PartnerRef,
    Span,
    activity_counts,
    activity_partners,
    activity_year,
    member_span,
    pact_span,
)

if TYPE_CHECKING:
    import networkx as nx

    from .store import Store

__all__ = [
    "Broker",
    "EgoPact",
    "EgoView",
    "NetworkFigures",
    "PartnerNetwork",
    "Tie",
    "build_network",
    "describe",
    "ego_view",
    "network_figures",
    "network_series",
]

EXACT_BETWEENNESS_LIMIT = 500
"""Betweenness is exact up to this many partners (a city): it grows with partners times
ties, and took 13 s for 3,000 partners with 22,000 ties."""
BETWEENNESS_SAMPLES = 100
"""Above the limit it is estimated from this many sampled partners, with a fixed seed so
the same store gives the same figures (about 1 s at that size)."""

Pair = tuple[int, int]


@dataclass(frozen=True)
class Tie(JsonReady):
    """Two partners that worked together, and how often."""

    a: PartnerRef
    b: PartnerRef
    weight: int
    pacts: int
    activities: int


@dataclass(frozen=True)
class Broker(JsonReady):
    """A partner on many shortest paths between others: it links groups that would
    otherwise hardly meet."""

    partner: PartnerRef
    betweenness: float
    """Normalised to 0..1 (the share of shortest paths between other partners through it)."""


@dataclass(frozen=True)
class NetworkFigures(JsonReady):
    """The shape of one network (a year's, or the overall one when ``year`` is ``None``).

    ``components`` counts isolated partners too (a partner whose pacts had no
    other member is a component of one). ``articulation_points`` are the
    partners whose absence would split their group in two. A tie is
    ``across zones`` when both partners have zones and share none. Against
    the previous year (``None`` for the overall network): ties that appear,
    and ties that are gone.
    """

    year: int | None
    nodes: int
    ties: int
    density: float
    components: int
    component_sizes: tuple[int, ...]
    isolated: int
    articulation_points: tuple[PartnerRef, ...]
    brokers: tuple[Broker, ...]
    strongest_ties: tuple[Tie, ...]
    ties_across_zones: int
    previous_ties: int | None
    new_ties: int | None
    lost_ties: int | None


@dataclass(frozen=True)
class EgoPact(JsonReady):
    """A pact of the partner in an ego view, and the role it has there."""

    pact: PactRef
    roles: tuple[str, ...]


@dataclass(frozen=True)
class EgoView(JsonReady):
    """One partner's corner of the network: its pacts, its activities, its ties."""

    partner: PartnerRef
    year: int | None
    pacts: tuple[EgoPact, ...]
    activities: int
    ties: tuple[Tie, ...]
    articulation_point: bool
    betweenness: float


@dataclass(frozen=True)
class PartnerNetwork:
    """The weighted partner graph of a year (or overall), as plain data."""

    year: int | None
    partners: dict[int, PartnerRef]
    zones: dict[int, tuple[str, ...]]
    pact_weights: dict[Pair, int]
    activity_weights: dict[Pair, int]

    @property
    def pairs(self) -> set[Pair]:
        """Every tie as ``(smaller id, larger id)``."""
        return set(self.pact_weights) | set(self.activity_weights)

    def tie(self, a: int, b: int) -> Tie | None:
        """The tie between two partners (``a`` first), or ``None`` when they never worked
        together."""
        pair = (a, b) if a < b else (b, a)
        pacts = self.pact_weights.get(pair, 0)
        activities = self.activity_weights.get(pair, 0)
        if not pacts and not activities:
            return None
        return Tie(self.partners[a], self.partners[b], pacts + activities, pacts, activities)

    def ties(self) -> list[Tie]:
        """Every tie, strongest first (then by the partners' names)."""
        found = [t for a, b in self.pairs if (t := self.tie(a, b)) is not None]
        return sorted(found, key=_tie_order)

    def across_zones(self, pair: Pair) -> bool:
        """Both partners have zones and none in common."""
        mine, theirs = self.zones.get(pair[0], ()), self.zones.get(pair[1], ())
        return bool(mine) and bool(theirs) and not set(mine) & set(theirs)


def _tie_order(tie: Tie) -> tuple[int, str, str]:
    return (-tie.weight, tie.a.name.casefold(), tie.b.name.casefold())


def _name_order(ref: PartnerRef) -> tuple[str, int]:
    return (ref.name.casefold(), ref.id)


# -- building ------------------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    nodes: set[int] = field(default_factory=set)
    pacts: Counter[Pair] = field(default_factory=Counter)
    activities: Counter[Pair] = field(default_factory=Counter)


def _pairs(ids: Iterable[int]) -> Iterator[Pair]:
    """Each unordered pair once, smaller id first."""
    ordered = sorted(set(ids))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            yield (a, b)


def _build(store: Store, years: Collection[int | None] | None) -> dict[int | None, PartnerNetwork]:
    """Networks for ``years`` (``None`` in it: the overall one), or every year and overall
    when ``years`` is ``None``; one pass over each table whatever their number."""
    partners = {
        pid: PartnerRef(pid, str(doc.get("name", "")) or f"#{pid}", str(doc.get("kind", "")))
        for pid, doc in store.partners.raw_items()
    }
    zones = {pid: tuple(doc.get("zones") or ()) for pid, doc in store.partners.raw_items()}
    status_of: dict[int, str] = {}
    pacts: list[tuple[Span, list[tuple[int, Span]]]] = []
    known: set[int] = set()
    for pact_id, doc in store.pacts.raw_items():
        status_of[pact_id] = str(doc.get("status", ""))
        span = pact_span(doc)
        if span is None:
            continue
        members = [
            (m["partner_id"], own)
            for m in doc.get("members") or ()
            if (own := member_span(m, span)) is not None
        ]
        pacts.append((span, members))
        known.update(y for y in (span.first, span.last) if y is not None)
    accs: dict[int | None, _Acc] = {}

    def acc(key: int | None) -> _Acc | None:
        if years is not None and key not in years:
            return None
        found = accs.get(key)
        if found is None:
            found = accs[key] = _Acc()
        return found

    for _id, doc in store.activities.raw_items():
        if not activity_counts(doc, status_of.get(doc.get("pact_id", 0))):
            continue
        year = activity_year(doc)
        if year is None:
            continue
        known.add(year)
        ids = activity_partners(doc)
        for key in (year, None):
            target = acc(key)
            if target is not None:
                target.nodes |= ids
                target.activities.update(_pairs(ids))
    if years is not None:
        span_years = [y for y in years if y is not None]
    else:
        span_years = list(range(min(known), max(known) + 1)) if known else []
    for span, members in pacts:
        for year in span_years:
            if span.covers(year):
                present = [pid for pid, own in members if own.covers(year)]
                target = acc(year)
                if target is not None:
                    target.nodes.update(present)
                    target.pacts.update(_pairs(present))
        overall = acc(None)
        if overall is not None:
            everyone = [pid for pid, _own in members]
            overall.nodes.update(everyone)
            overall.pacts.update(_pairs(everyone))
    keys: list[int | None] = list(span_years)
    if years is None or None in years:
        keys.append(None)
    networks = {}
    for key in keys:
        found = accs.get(key) or _Acc()
        networks[key] = PartnerNetwork(
            year=key,
            partners={
                pid: partners.get(pid, PartnerRef(pid, f"#{pid}", "")) for pid in found.nodes
            },
            zones={pid: zones.get(pid, ()) for pid in found.nodes},
            pact_weights=dict(found.pacts),
            activity_weights=dict(found.activities),
        )
    return networks


def build_network(store: Store, year: int | None = None) -> PartnerNetwork:
    """The partner network of ``year``, or the overall one."""
    return _build(store, [year])[year]


# -- measuring -------------------------------------------------------------------------


def _graph(network: PartnerNetwork) -> nx.Graph[int]:
    import networkx as nx

    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(network.partners)
    graph.add_edges_from(network.pairs)
    return graph


def _betweenness(graph: nx.Graph[int]) -> dict[int, float]:
    import networkx as nx

    if graph.number_of_nodes() > EXACT_BETWEENNESS_LIMIT:
        return dict(nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLES, seed=0))
    return dict(nx.betweenness_centrality(graph))


def describe(
    network: PartnerNetwork, previous: PartnerNetwork | None = None, *, top: int = 10
) -> NetworkFigures:
    """Measure ``network``; ``previous`` (last year's) gives the new and lost ties.

    ``top`` bounds the brokers and the strongest ties listed (partners with
    no betweenness are never brokers).
    """
    import networkx as nx

    graph = _graph(network)
    sizes = sorted((len(c) for c in nx.connected_components(graph)), reverse=True)
    cut = sorted((network.partners[p] for p in nx.articulation_points(graph)), key=_name_order)
    scores = _betweenness(graph)
    brokers = sorted(
        (Broker(network.partners[p], round(s, 4)) for p, s in scores.items() if s > 0),
        key=lambda b: (-b.betweenness, *_name_order(b.partner)),
    )
    pairs = network.pairs
    before = previous.pairs if previous is not None else None
    return NetworkFigures(
        year=network.year,
        nodes=graph.number_of_nodes(),
        ties=graph.number_of_edges(),
        density=round(nx.density(graph), 4),
        components=len(sizes),
        component_sizes=tuple(sizes),
        isolated=sum(1 for size in sizes if size == 1),
        articulation_points=tuple(cut),
        brokers=tuple(brokers[:top]),
        strongest_ties=tuple(network.ties()[:top]),
        ties_across_zones=sum(1 for pair in pairs if network.across_zones(pair)),
        previous_ties=len(before) if before is not None else None,
        new_ties=len(pairs - before) if before is not None else None,
        lost_ties=len(before - pairs) if before is not None else None,
    )


def network_figures(store: Store, year: int | None = None, *, top: int = 10) -> NetworkFigures:
    """The figures of ``year``'s network against the year before, or of the overall one."""
    if year is None:
        return describe(build_network(store), top=top)
    networks = _build(store, [year, year - 1])
    return describe(networks[year], networks[year - 1], top=top)


def network_series(store: Store, *, top: int = 10) -> tuple[NetworkFigures, ...]:
    """Every year's network figures, oldest first, each against the year before."""
    networks = _build(store, None)
    years = sorted(y for y in networks if y is not None)
    empty = _empty(years[0] - 1) if years else None
    return tuple(describe(networks[y], networks.get(y - 1, empty), top=top) for y in years)


def _empty(year: int) -> PartnerNetwork:
    """The network of a year before anything happened: every tie of the next one is new."""
    return PartnerNetwork(year, {}, {}, {}, {})


def ego_view(store: Store, partner_id: int, year: int | None = None) -> EgoView:
    """One partner's pacts, activities and ties, in ``year`` or over all years.

    Its pacts are those whose membership counts in the year (every pact it
    is a member of, whatever the status, for the overall view).
    :class:`~patti.core.errors.NotFoundError` for an unknown partner.
    """
    import networkx as nx

    partner = store.partners.get(partner_id)
    network = build_network(store, year)
    me = network.partners.get(partner_id) or PartnerRef(
        partner_id, partner.name, partner.kind.value
    )
    pacts = []
    for pact_id, doc in store.pacts.raw_items():
        roles = []
        span = pact_span(doc)
        for member in doc.get("members") or ():
            if member.get("partner_id") != partner_id:
                continue
            own = member_span(member, span) if span is not None else None
            if year is None or (own is not None and own.covers(year)):
                roles.append(str(member.get("role", "")))
        if roles:
            ref = PactRef(
                pact_id,
                str(doc.get("code", "")),
                str(doc.get("title", "")),
                str(doc.get("type", "")),
                str(doc.get("status", "")),
                doc.get("year"),
            )
            pacts.append(EgoPact(ref, tuple(roles)))
    status_of = {i: str(d.get("status", "")) for i, d in store.pacts.raw_items()}
    activities = sum(
        1
        for _id, doc in store.activities.raw_items()
        if partner_id in activity_partners(doc)
        and (year is None or activity_year(doc) == year)
        and activity_counts(doc, status_of.get(doc.get("pact_id", 0)))
    )
    ties = sorted(
        (
            t
            for other in network.partners
            if other != partner_id and (t := network.tie(partner_id, other)) is not None
        ),
        key=_tie_order,
    )
    graph = _graph(network)
    in_graph = partner_id in graph
    return EgoView(
        partner=me,
        year=year,
        pacts=tuple(sorted(pacts, key=lambda p: (p.pact.code, p.pact.id))),
        activities=activities,
        ties=tuple(ties),
        articulation_point=in_graph and partner_id in set(nx.articulation_points(graph)),
        betweenness=round(_betweenness(graph).get(partner_id, 0.0), 4) if in_graph else 0.0,
    )
