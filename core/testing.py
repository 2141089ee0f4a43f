"""pytest fixtures for plugin authors, loaded by pytest through the ``pytest11`` entry point.

Installed with patti, so a plugin's own test suite gets them with no
conftest: a real store in the test's temporary folder, a plugin host with
patti's built-ins, the plugin under test registered for one test, and the
services on top. Every fixture name starts with ``patti_`` so none can
shadow a fixture of the project using them.

    def test_my_type(patti_registry, patti_register):
        patti_register(my_plugin)
        pact = patti_registry.create_pact(title="Orti", type="orti")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from .plugins import PluginHost
from .services import Registry
from .store import Store

__all__ = [
    "patti_host",
    "patti_register",
    "patti_registry",
    "patti_store",
    "patti_store_path",
]


@pytest.fixture
def patti_store_path(tmp_path: Path) -> Path:
    """Where :func:`patti_store` keeps its file: read it to check what was really written."""
    return tmp_path / "patti.json"


@pytest.fixture
def patti_store(patti_store_path: Path) -> Iterator[Store]:
    """A real, empty store file, open for writing and closed after the test."""
    store = Store.open(patti_store_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def patti_host(monkeypatch: pytest.MonkeyPatch) -> PluginHost:
    """patti's built-in plugins only: other installed plugins, and the developer's
    PATTI_LOAD_PLUGINS / PATTI_DISABLE_PLUGINS, cannot change the outcome."""
    monkeypatch.delenv("PATTI_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("PATTI_DISABLE_PLUGINS", raising=False)
    return PluginHost(entry_point_group=None)


@pytest.fixture
def patti_register(patti_host: PluginHost) -> Callable[..., PluginHost]:
    """Register a plugin (a module or an object with hook implementations) for this test.

    Returns the host, so that ``patti_register(plugin).pact_types()`` reads
    what the plugin added; the name defaults to the module's last dotted part.
    """

    def register(plugin: ModuleType | object, name: str | None = None) -> PluginHost:
        default = getattr(plugin, "__name__", type(plugin).__name__).rsplit(".", 1)[-1]
        patti_host.register(plugin, name or default)
        return patti_host

    return register


@pytest.fixture
def patti_registry(patti_store: Store, patti_host: PluginHost) -> Registry:
    """The services every front end uses, on :func:`patti_store` with :func:`patti_host`."""
    patti_host.startup(patti_store)
    return Registry(patti_store, plugins=patti_host)
