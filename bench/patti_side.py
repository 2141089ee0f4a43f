"""patti through its public API: the store-level engine and the figures only patti has.

Writes go through :class:`patti.core.store.Store` (``add``, ``update``,
``delete_activity``, ``transaction``), reads through its repositories,
search through :func:`search_hits` (the one place that knows which search
API core offers), reports through :mod:`patti.core.reports`, planners
through ``Registry.plan_pact``, backups through :mod:`patti.core.backup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench.competitors import Engine
from patti.core.backup import restore, write_backup
from patti.core.model import Activity
from patti.core.plugins import PluginHost
from patti.core.reports import annual_report
from patti.core.search import PactIndex, PartnerIndex
from patti.core.services import PactQuery, PartnerQuery, Registry
from patti.core.store import Store

_HOST: PluginHost | None = None


def plugin_host() -> PluginHost:
    """The built-in plugins (and any installed ones), loaded once per process as the app does."""
    global _HOST
    if _HOST is None:
        _HOST = PluginHost()
        _HOST.load()
    return _HOST


def search_hits(store: Store, text: str) -> int:
    """One keystroke in the search box of the partner list and of the pact list.

    Uses the search API core offers: the shared indexes of
    :mod:`patti.core.search` that the two screens query on every keystroke
    (the services' ``list_*`` validate every hit into a model on top). This
    is the one function to switch when that API changes.
    """
    partners = PartnerIndex.of(store).search(PartnerQuery(text=text))
    pacts = PactIndex.of(store).search(PactQuery(text=text))
    return len(partners) + len(pacts)


class PattiEngine(Engine):
    """patti's :class:`Store` doing the store-level figures, on ``activities``."""

    name = "patti"

    def __init__(self) -> None:
        self._store: Store | None = None
        self._registry: Registry | None = None

    @property
    def store(self) -> Store:
        assert self._store is not None
        return self._store

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.store, plugins=plugin_host())
        return self._registry

    def open(self, path: Path) -> None:
        self._store = Store.open(path)
        if self._store.readonly:
            raise RuntimeError(f"{path} opened read-only: {self._store.readonly_reason()}")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
            self._registry = None

    def get(self, record_id: int) -> object:
        return self.store.activities.get(record_id)

    def prepare_insert(self, doc: dict[str, Any]) -> Any:
        return Activity.model_validate(doc)

    def insert(self, item: Any) -> None:
        self.store.add(item)

    def prepare_update(self, record_id: int, changes: dict[str, Any]) -> Any:
        current = self.store.activities.get(record_id)
        return Activity.model_validate({**current.model_dump(), **changes})

    def update(self, item: Any) -> None:
        self.store.update(item)

    def delete(self, record_id: int) -> None:
        self.store.delete_activity(record_id)

    def insert_many(self, items: Sequence[Any]) -> None:
        with self.store.transaction():
            for item in items:
                self.store.add(item)

    def search(self, text: str) -> int:
        return search_hits(self.store, text)

    def backup(self, dest: Path) -> None:
        write_backup(self.store, dest)

    # -- figures only patti has --------------------------------------------------------

    def annual_report(self, year: int, *, sections: bool) -> None:
        """The year's report (with plugin sections: ``patti report``; without: the dashboard)."""
        annual_report(self.store, year, plugins=plugin_host(), sections=sections)

    def restore(self, backup: Path) -> None:
        """A full restore: strict parse, record-by-record check, safety backup, swap."""
        restore(self.store, backup)

    def add_planner_city(self) -> tuple[int, date]:
        """bench_planner's "city" (1,000 classes, 300 associations) added to this store:
        the pact's id and the first day to plan from."""
        from bench.bench_planner import SIZES, WINDOW, build_city

        city = next(s for s in SIZES if s.name == "city")
        pact = build_city(self.store, city)
        assert pact.id is not None
        return pact.id, WINDOW[0]

    def plan(self, pact_id: int, first_day: date) -> int:
        """The pact type's planner through the services; the number of visits proposed."""
        proposal = self.registry.plan_pact(pact_id, seed=0, not_before=first_day)
        return len(proposal.activities)
