"""The exporter contract: how a format turns a year's report, or its network, into a file.

A plugin adds a format by registering an :class:`Exporter` through the
``register_exporters`` hook, under :attr:`Exporter.key`::

    @hookimpl
    def register_exporters(register):
        register(ODS.key, ODS)

Its ``render(context)`` gets an :class:`ExportContext` and returns the whole
file as bytes. The context computes what it is asked for, once: the year's
:class:`~patti.core.reports.AnnualReport`, the :class:`ReportSeries` of every
year (for charts), the year's partner network and its figures. An exporter
reads only the context, so ``--pseudonymise`` holds for every format, a
third party's too: the context is then built on a read-only, in-memory copy
of the store in which no person is named (:func:`pseudonymised_store`), and
every figure, name and plugin section comes from that copy. Redacting the
rendered files instead would have to know each format's encoding (HTML
entities, zipped XML, CSV quoting) and would miss a name a plugin section
rewrites; a copy that never held the names cannot leak them.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from .errors import PattiError
from .i18n import DOMAIN, LANGUAGES, LOCALE_DIR, _, current_language
from .plugins import PluginConflictError
from .storage import DurableStorage, Tables

if TYPE_CHECKING:
    from .network import NetworkFigures, PartnerNetwork
    from .plugins import PluginHost
    from .reports import AnnualReport, ReportSeries
    from .store import Store

__all__ = [
    "SUBJECTS",
    "ExportContext",
    "ExportError",
    "Exporter",
    "Subject",
    "export",
    "export_context",
    "exporters_for",
    "pseudonymised_store",
]

Subject = Literal["report", "network"]
"""What an exporter writes: a year's annual report, or a partner network."""
SUBJECTS: tuple[Subject, ...] = ("report", "network")

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")


class ExportError(PattiError):
    """An export that cannot be made as asked (a report without a year); an exporter
    raises it to refuse with a message for the operator."""


@dataclass(frozen=True)
class Exporter:
    """One export format, as a plugin registers it.

    ``name`` is what ``--format`` takes (unique among the exporters of one
    ``subject``); ``extension`` the file name's, without the dot; ``binary``
    files (a spreadsheet) are never written to a terminal. ``render`` builds
    the whole file from the context; it may raise :class:`PattiError` to
    refuse with a message for the operator, and anything else it raises
    disables its plugin.
    """

    name: str
    label_it: str
    label_en: str
    extension: str
    binary: bool
    render: Callable[[ExportContext], bytes]
    subject: Subject = "report"
    media_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        # A plugin's mistake should fail when it registers, not when an operator exports.
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"exporter name {self.name!r}: use a-z, 0-9, '-' or '_'")
        if not _NAME.fullmatch(self.extension):
            raise ValueError(f"extension {self.extension!r}: give it without the dot")
        if self.subject not in SUBJECTS:
            raise ValueError(f"subject {self.subject!r}: use one of {', '.join(SUBJECTS)}")
        if not callable(self.render):
            raise ValueError(f"render of {self.name!r} is not callable")

    @property
    def key(self) -> str:
        """The format name to register it under: ``name`` for a report, ``network-name``
        for a network, so that ``json`` can be both without the two colliding."""
        return self.name if self.subject == "report" else f"{self.subject}-{self.name}"

    def label(self, language: str | None = None) -> str:
        """The format's name for people, in ``language`` (default: the active one)."""
        return self.label_it if (language or current_language()) == "it" else self.label_en

    def filename(self, year: int | None) -> str:
        """A default file name: ``patti-report-2021.md``, ``patti-network-all.graphml``."""
        return f"patti-{self.subject}-{year if year is not None else 'all'}.{self.extension}"


@functools.cache
def _catalog(language: str) -> _gettext.NullTranslations:
    return _gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
    )


@dataclass(frozen=True)
class ExportContext:
    """What an exporter renders from: the store's figures for ``year``, computed on first
    use and kept (an exporter that draws no network never pays for networkx).

    ``store`` is the store the figures come from: a pseudonymised in-memory
    copy when ``pseudonymised`` is true, so an exporter that reads it
    directly still names nobody. ``year`` is ``None`` only for a network
    export of the overall network. ``language`` (``it`` or ``en``) is the
    file's; plugin report sections are written in the interface's, which the
    command line makes the same. ``created`` is the date the file says it
    was made on.
    """

    store: Store
    year: int | None
    language: str
    pseudonymised: bool = False
    plugins: PluginHost | None = None
    created: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unsupported language {self.language!r}: use it or en")

    def _year(self) -> int:
        if self.year is None:
            raise ExportError(_("A report needs a year: give --year."))
        return self.year

    @cached_property
    def report(self) -> AnnualReport:
        """The year's annual report, with the pact types' own sections."""
        from .reports import annual_report

        return annual_report(self.store, self._year(), plugins=self.plugins)

    @cached_property
    def series(self) -> ReportSeries:
        """Every year's figures, oldest first, for charts and year-over-year tables."""
        from .reports import report_series

        return report_series(self.store, plugins=self.plugins)

    @cached_property
    def narrative(self) -> tuple[str, ...]:
        """The year's account in :attr:`language`, one string per paragraph."""
        from .reports import narrative

        return tuple(narrative(self.report, self.language).split("\n\n"))

    @cached_property
    def network(self) -> PartnerNetwork:
        """The year's partner network (the overall one when ``year`` is ``None``)."""
        from .network import build_network

        return build_network(self.store, self.year)

    @cached_property
    def network_figures(self) -> NetworkFigures:
        """The network's figures, against the year before for a year's network."""
        from .network import build_network, describe

        previous = build_network(self.store, self.year - 1) if self.year is not None else None
        return describe(self.network, previous)

    @property
    def translations(self) -> _gettext.NullTranslations:
        """patti's catalog in the file's language."""
        return _catalog(self.language)

    def gettext(self, message: str) -> str:
        """``message`` in the file's language from patti's catalog: bind it as ``_`` in a
        built-in exporter so the message is extracted for translation."""
        return _catalog(self.language).gettext(message)

    def pick(self, italian: str, english: str) -> str:
        """One of two texts by the file's language, for plugins (which have no catalog)."""
        return italian if self.language == "it" else english


class _MemoryTables(DurableStorage):
    """Tables held in memory only, read-only: as a backup's are verified, so that
    pseudonymised data is never written anywhere."""

    def __init__(self, path: Path, *, tables: Tables) -> None:
        self._memory_tables = tables
        super().__init__(path, readonly=True)

    def _load(self) -> Tables:
        return self._memory_tables


def pseudonymised_store(store: Store) -> Store:
    """A read-only store, in memory, holding :func:`patti.core.privacy.pseudonymise` of
    ``store``'s committed tables: every contact person is ``Person N`` and their name,
    e-mail and phone are replaced in every text of every record."""
    from tinydb import TinyDB

    from .privacy import pseudonymise
    from .store import Store

    tables: Tables = pseudonymise(store.snapshot())
    db = TinyDB(store.path, storage=_MemoryTables, tables=tables)
    return Store(store.path, cast(DurableStorage, db.storage), db, lock=None, holder=None)


def export_context(
    store: Store,
    year: int | None,
    *,
    language: str | None = None,
    pseudonymise: bool = False,
    plugins: PluginHost | None = None,
    created: date | None = None,
) -> ExportContext:
    """The context to render ``year`` from ``store`` (pseudonymised when asked), in
    ``language`` (default: the active one)."""
    return ExportContext(
        store=pseudonymised_store(store) if pseudonymise else store,
        year=year,
        language=language or current_language(),
        pseudonymised=pseudonymise,
        plugins=plugins,
        created=created or date.today(),
    )


def exporters_for(plugins: PluginHost | None, subject: Subject) -> dict[str, Exporter]:
    """The registered exporters of ``subject`` by ``--format`` name, in plugin order.

    Values of the exporters registry that are not :class:`Exporter` (the
    hook predates this contract) are left out. Two exporters of one subject
    with the same name under different keys are a :class:`PluginConflictError`.
    """
    registered: Mapping[str, Any] = plugins.exporters() if plugins is not None else {}
    found: dict[str, tuple[str, Exporter]] = {}
    for key, exporter in registered.items():
        if not isinstance(exporter, Exporter) or exporter.subject != subject:
            continue
        if exporter.name in found:
            raise PluginConflictError(
                _("Export format {name!r} is registered as both {first} and {second}.").format(
                    name=exporter.name, first=found[exporter.name][0], second=key
                )
            )
        found[exporter.name] = (key, exporter)
    return {name: exporter for name, (_key, exporter) in found.items()}


def _owner(plugins: PluginHost, exporter: Exporter) -> str:
    """The plugin that registered ``exporter`` (the one disabled if it fails)."""
    for info in plugins.plugins():
        if exporter.key in info.adds.get("exporters", ()):
            return info.name
    return exporter.key


def _rendered(exporter: Exporter, context: ExportContext) -> bytes:
    result = exporter.render(context)
    if not isinstance(result, bytes):
        raise TypeError(
            f"render() of {exporter.name!r} returned {type(result).__name__}, not bytes"
        )
    return result


def export(exporter: Exporter, context: ExportContext) -> bytes:
    """Render ``context`` with ``exporter``. The exporter's own code runs under the plugin
    guard: if it raises (or returns anything but bytes) its plugin is disabled and a
    :class:`~patti.core.plugins.PluginError` says so in one line."""
    # patti's own computations first, outside the guard: their errors are not the plugin's.
    if exporter.subject == "report":
        context.report  # noqa: B018
    else:
        context.network  # noqa: B018
    plugins = context.plugins
    if plugins is None:
        return _rendered(exporter, context)
    return plugins.run_plugin(
        _owner(plugins, exporter), f"export {exporter.name}", _rendered, exporter, context
    )
