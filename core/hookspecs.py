"""Every hook a patti plugin can implement.

Hook names have no prefix. Hooks only ever GAIN arguments, never lose or
rename them: pluggy lets an implementation accept a subset of a hook's
arguments, so old plugins keep working. Each hook has a heading in
``docs/plugin-hooks.md`` and a ``test_hook_<name>`` test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .model import Pact
    from .pact_types import PactType
    from .reference import ReferenceData
    from .store import Store

PROJECT = "patti"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_pact_types(register: Callable[[type[PactType]], None]) -> None:
    """Add pact types.

    :param register: call it with each :class:`~patti.core.pact_types.PactType`
        subclass. Two plugins registering the same type name is an error that
        names both.
    Returns nothing; every implementation is called.
    """


@hookspec
def register_reference_data(register: Callable[[ReferenceData], None]) -> None:
    """Add zones, themes and well-known partners (a city pack).

    :param register: call it with a :class:`~patti.core.reference.ReferenceData`.
    Returns nothing; every implementation is called, and entries are merged
    (the first registration of a key wins).
    """


@hookspec
def register_exporters(register: Callable[[str, Any], None]) -> None:
    """Add report/registry exporters by format name.

    :param register: call it as ``register(format_name, exporter)``.
    Returns nothing; every implementation is called; a duplicate format name
    is an error that names both plugins.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``patti`` command line.

    :param cli: the top-level :class:`click.Group`; add commands or groups to it.
    Returns nothing; every implementation is called.
    """


@hookspec
def register_palette_commands(register: Callable[..., None]) -> None:
    """Add entries to the TUI's command palette.

    :param register: call it as ``register(title, help, callback)`` where
        ``callback(app)`` runs on the Textual app when the entry is chosen.
    Returns nothing; every implementation is called.
    """


@hookspec
def validate_pact(pact: Pact, pact_type: type[PactType] | None, store: Store) -> list[str] | None:
    """Check a pact before it is saved.

    :param pact: the pact as it would be saved.
    :param pact_type: its registered type, or ``None`` if no plugin provides it.
    :param store: the open store (read only: do not write from here).
    :returns: problems in words (empty or ``None`` when fine). Results of all
        implementations are combined; any problem refuses the save.
    """


@hookspec
def pact_created(pact: Pact, store: Store) -> None:
    """Event: ``pact`` was saved for the first time. Every implementation is called."""


@hookspec
def pact_updated(pact: Pact, previous: Pact, store: Store) -> None:
    """Event: ``pact`` was saved; ``previous`` is how it was before.

    Every implementation is called.
    """


@hookspec
def pact_deleted(pact: Pact, store: Store) -> None:
    """Event: ``pact`` (as it was) was deleted. Every implementation is called."""


@hookspec
def startup(store: Store) -> None:
    """Once, after plugins are loaded and the store is open. Every implementation is called."""
