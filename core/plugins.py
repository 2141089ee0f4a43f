"""The plugin host: built-in plugins, entry-point plugins, and their registries.

Built-ins are listed in :data:`DEFAULT_PLUGINS`; third-party plugins come
from the entry-point group ``patti``. Loading is lazy and idempotent: the
getters load on first use. ``PATTI_LOAD_PLUGINS=a,b`` loads only those
(empty: none); ``PATTI_DISABLE_PLUGINS=x,y`` blocks them, and a blocked
plugin is never imported.

A plugin that raises, at import or in a hook, is recorded in
:attr:`PluginHost.failures`, unregistered, and the rest carry on: a broken
plugin can neither kill the app nor write to the store.
"""

from __future__ import annotations

import functools
import importlib
import os
import traceback
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pluggy
import pydantic

from . import __version__, hookspecs
from .errors import PattiError
from .i18n import _
from .pact_types import PactType
from .reference import BASE_THEMES, ReferenceData

if TYPE_CHECKING:
    from .store import Store

ENTRY_POINT_GROUP = "patti"

#: Built-in plugins, registered in this order (their short name is the last dotted part).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "patti.plugins.community_ties",
    "patti.plugins.school_testimonies",
    "patti.plugins.youth_legality",
    "patti.plugins.exporters",
    "patti.plugins.crema",
)


P = ParamSpec("P")
T = TypeVar("T")


class PluginConflictError(PattiError):
    """Two plugins claim the same name (pact type or export format)."""


class PluginError(PattiError):
    """A plugin's code raised: the plugin is now disabled and the operation did not happen."""


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was disabled, and why."""

    name: str
    stage: str
    error: str


@dataclass
class PluginInfo:
    """What ``patti plugins`` shows about one loaded plugin."""

    name: str
    distribution: str
    version: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    adds: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "adds": self.adds,
        }


@dataclass(frozen=True)
class PaletteCommand:
    """An entry a plugin adds to the TUI's command palette."""

    plugin: str
    title: str
    help: str
    callback: Callable[[Any], object]


def _call_with(function: Callable[..., Any], argnames: tuple[str, ...], **kwargs: Any) -> Any:
    """Call a hook implementation with the arguments it takes (pluggy's subset rule)."""
    return function(**{k: v for k, v in kwargs.items() if k in argnames})


def _append_args(into: list[tuple[Any, ...]], *args: Any) -> None:
    into.append(args)


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


class PluginHost:
    """A pluggy manager for project ``patti`` plus the registries its hooks fill."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        builtins: Iterable[str] = DEFAULT_PLUGINS,
        entry_point_group: str | None = ENTRY_POINT_GROUP,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.enabled = enabled
        self.failures: list[PluginFailure] = []
        self._builtins = tuple(builtins)
        self._group = entry_point_group
        self._loaded = False
        self._info: dict[str, PluginInfo] = {}
        self._pact_types: dict[str, type[PactType]] | None = None
        self._type_owners: dict[str, str] = {}
        self._started: weakref.WeakSet[Store] = weakref.WeakSet()
        self._exporters: dict[str, Any] | None = None
        self._reference: ReferenceData | None = None
        self._palette: list[PaletteCommand] | None = None

    # -- loading ---------------------------------------------------------------

    def load(self) -> None:
        """Import and register plugins once; later calls do nothing."""
        if self._loaded:
            return
        self._loaded = True
        if not self.enabled:
            return
        only = _names("PATTI_LOAD_PLUGINS")
        blocked = _names("PATTI_DISABLE_PLUGINS") or set()

        def wanted(name: str) -> bool:
            if name in blocked:
                self.pm.set_blocked(name)
                return False
            return only is None or name in only

        for module_name in self._builtins:
            name = module_name.rsplit(".", 1)[-1]
            if wanted(name):
                self._register(
                    name,
                    functools.partial(importlib.import_module, module_name),
                    "patti",
                    __version__,
                    True,
                )
        if self._group:
            for entry_point in sorted(entry_points(group=self._group), key=lambda e: e.name):
                if wanted(entry_point.name) and entry_point.name not in self._info:
                    dist = entry_point.dist
                    self._register(
                        entry_point.name,
                        entry_point.load,
                        dist.name if dist else "?",
                        dist.version if dist else "?",
                        False,
                    )

    def register(
        self, plugin: object, name: str, *, distribution: str = "?", version: str = "?"
    ) -> None:
        """Register an already-imported plugin object (tests, embedding)."""
        self.load()
        self._register(name, lambda: plugin, distribution, version, False)
        self._invalidate()

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin, name=name)
        self._info.pop(name, None)
        self._invalidate()

    def _register(
        self, name: str, importer: Callable[[], Any], distribution: str, version: str, builtin: bool
    ) -> None:
        try:
            plugin = importer()
        except Exception as exc:  # a broken plugin must not stop the others
            self._fail(name, "import", exc)
            return
        if self.pm.has_plugin(name) or name in self._info:
            self._fail(name, "register", ValueError(_("another plugin already has this name")))
            return
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.get_plugin(name) is plugin:
                self.pm.unregister(name=name)
            self._fail(name, "register", exc)
            return
        hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or ())
        self._info[name] = PluginInfo(name, distribution, version, builtin, hooks)

    def _fail(self, name: str, stage: str, exc: BaseException) -> None:
        # One line, whatever the exception's message holds (pluggy's span several).
        lines = traceback.format_exception_only(type(exc), exc)
        detail = " ".join(line.strip() for text in lines for line in text.splitlines())
        self.failures.append(PluginFailure(name, stage, detail))

    def _disable(self, name: str, stage: str, exc: BaseException) -> None:
        self._fail(name, stage, exc)
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin, name=name)
        self._info.pop(name, None)
        self._invalidate()

    def _invalidate(self) -> None:
        self._pact_types = None
        self._exporters = None
        self._reference = None
        self._palette = None

    # -- calling hooks safely -----------------------------------------------------

    def call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a hook, one plugin at a time.

        A plugin that raises is disabled and reported; the others still run.
        Returns ``(plugin name, result)`` pairs in pluggy's calling order.
        """
        results = []
        for plugin, function in self.implementations(hook_name):
            try:
                results.append((plugin, function(**kwargs)))
            except Exception as exc:
                self._disable(plugin, hook_name, exc)
        return results

    def startup(self, store: Store) -> None:
        """Call the ``startup`` hook once for ``store`` (the CLI and the TUI both open one)."""
        if store in self._started:
            return
        self._started.add(store)
        self.call("startup", store=store)

    def implementations(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """``(plugin name, function)`` of a hook, in calling order, for callers that must
        act between one plugin and the next (e.g. undo what a failing one added)."""
        self.load()
        caller = getattr(self.pm.hook, hook_name)
        return [
            (i.plugin_name, functools.partial(_call_with, i.function, i.argnames))
            for i in reversed(caller.get_hookimpls())
        ]

    def guarded(
        self,
        pact_type: type[PactType],
        stage: str,
        function: Callable[P, T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a pact type's own code (details, checks, planner) under :meth:`run_plugin`,
        on behalf of the plugin that registered the type."""
        owner = self._type_owners.get(pact_type.name, pact_type.__module__)
        return self.run_plugin(owner, stage, function, *args, **kwargs)

    def run_plugin(
        self,
        plugin: str,
        stage: str,
        function: Callable[P, T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run code a plugin supplied: if it raises, disable ``plugin`` and raise
        :class:`PluginError` instead, so the caller reports one line and writes nothing.

        Project errors are answers, not failures: they pass through. So do
        pydantic's validation errors at the ``details`` stage, where they mean
        the operator's input is wrong; anywhere else they are the plugin's bug.
        """
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            answer = isinstance(exc, PattiError) or (
                stage == "details" and isinstance(exc, pydantic.ValidationError)
            )
            if answer:
                raise
            self._disable(plugin, stage, exc)
            raise PluginError(
                _("The plugin {name} failed ({stage}) and has been disabled: {error}").format(
                    name=plugin, stage=stage, error=self.failures[-1].error
                )
            ) from exc

    def _collect(self, hook_name: str, accept: Callable[..., None]) -> None:
        """Run a ``register_*`` hook; a plugin's registrations count only if it did not fail."""
        self.load()
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            collected: list[tuple[Any, ...]] = []
            try:
                register = functools.partial(_append_args, collected)
                impl.function(**({"register": register} if "register" in impl.argnames else {}))
                for item in collected:
                    accept(impl.plugin_name, *item)
            except PluginConflictError:
                raise
            except Exception as exc:
                self._disable(impl.plugin_name, hook_name, exc)
                continue
            info = self._info.get(impl.plugin_name)
            if info is not None:
                names = [str(getattr(item[0], "name", item[0])) for item in collected]
                info.adds.setdefault(hook_name.removeprefix("register_"), []).extend(names)

    # -- registries ------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Loaded plugins with what each adds (pact types, exporters, reference data)."""
        self.pact_types()
        self.exporters()
        self.reference_data()
        self.palette_commands()
        return sorted(self._info.values(), key=lambda i: (not i.builtin, i.name))

    def pact_types(self) -> dict[str, type[PactType]]:
        if self._pact_types is None:
            found: dict[str, tuple[str, type[PactType]]] = {}
            for info in self._info.values():
                info.adds.pop("pact_types", None)

            def accept(plugin: str, pact_type: type[PactType]) -> None:
                if not (isinstance(pact_type, type) and issubclass(pact_type, PactType)):
                    raise TypeError(f"{pact_type!r} is not a PactType subclass")
                if pact_type.name in found:
                    raise PluginConflictError(
                        _("Pact type {name!r} is registered by both {first} and {second}.").format(
                            name=pact_type.name, first=found[pact_type.name][0], second=plugin
                        )
                    )
                found[pact_type.name] = (plugin, pact_type)

            self._collect("register_pact_types", accept)
            self._pact_types = {name: cls for name, (_p, cls) in sorted(found.items())}
            self._type_owners = {name: plugin for name, (plugin, _c) in found.items()}
        return self._pact_types

    def pact_type(self, name: str) -> type[PactType] | None:
        return self.pact_types().get(name)

    def exporters(self) -> dict[str, Any]:
        if self._exporters is None:
            found: dict[str, tuple[str, Any]] = {}
            for info in self._info.values():
                info.adds.pop("exporters", None)

            def accept(plugin: str, format_name: str, exporter: Any) -> None:
                if format_name in found:
                    raise PluginConflictError(
                        _(
                            "Export format {name!r} is registered by both {first} and {second}."
                        ).format(name=format_name, first=found[format_name][0], second=plugin)
                    )
                found[format_name] = (plugin, exporter)

            self._collect("register_exporters", accept)
            self._exporters = {name: exporter for name, (_p, exporter) in found.items()}
        return self._exporters

    def reference_data(self) -> ReferenceData:
        if self._reference is None:
            merged = ReferenceData(themes=list(BASE_THEMES))
            for info in self._info.values():
                info.adds.pop("reference_data", None)

            def accept(plugin: str, data: ReferenceData) -> None:
                if not isinstance(data, ReferenceData):
                    raise TypeError(f"{data!r} is not ReferenceData")
                merged.merge(data)

            self._collect("register_reference_data", accept)
            for info in self._info.values():
                if "reference_data" in info.adds:
                    info.adds["reference_data"] = [_("zones, themes, partners")]
            self._reference = merged
        return self._reference

    def palette_commands(self) -> list[PaletteCommand]:
        """Command-palette entries from ``register_palette_commands``, in plugin order."""
        if self._palette is None:
            found: list[PaletteCommand] = []
            for info in self._info.values():
                info.adds.pop("palette_commands", None)

            def accept(
                plugin: str, title: str, help: str, callback: Callable[[Any], object]
            ) -> None:
                if not callable(callback):
                    raise TypeError(f"{callback!r} is not callable")
                found.append(PaletteCommand(plugin, str(title), str(help), callback))

            self._collect("register_palette_commands", accept)
            self._palette = found
        return self._palette


_default_host: PluginHost | None = None


def get_plugin_host() -> PluginHost:
    """The process-wide host, loaded on first use (what the CLI and the TUI share)."""
    global _default_host
    if _default_host is None:
        _default_host = PluginHost()
    return _default_host


def set_plugin_host(host: PluginHost | None) -> None:
    """Replace the process-wide host (``--no-plugins``, tests)."""
    global _default_host
    _default_host = host


__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PaletteCommand",
    "PluginConflictError",
    "PluginError",
    "PluginFailure",
    "PluginHost",
    "PluginInfo",
    "get_plugin_host",
    "set_plugin_host",
]
