"""Shared fixtures: real stores in tmp_path, never mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from patti.core.i18n import set_language
from patti.core.store import Store


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's store, plugins or language settings."""
    for name in ("PATTI_DB", "PATTI_LANG", "PATTI_LOAD_PLUGINS", "PATTI_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "patti.json"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store.open(store_path)
    try:
        yield opened
    finally:
        opened.close()
