"""F1 help and the palette describe every key in the UI's language, Textual's own included.

Textual's widgets (DataTable, Input, TextArea, RadioSet, Select, …) describe
their keys in English. Which texts those are is found here by reading the
installed Textual's classes, not from patti's table of them, so a key that
Textual adds or renames shows up as a failure in Italian.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp, TranslatedBindingsTable
from patti.tui.dialogs.activity_editor import ActivityEditor
from patti.tui.dialogs.record_activity import RecordActivityDialog
from patti.tui.screens import AgendaScreen, PactsScreen

SIZE = (120, 36)


def textual_texts() -> set[str]:
    """Every key description and key-group title of Textual's own widgets and screens."""
    import textual.widgets

    for name in getattr(textual.widgets, "__all__", ()):
        getattr(textual.widgets, name)  # the package loads its widgets lazily
    for module in ("textual.command", "textual.containers", "textual.screen"):
        importlib.import_module(module)

    def subclasses(cls: type[DOMNode]) -> Iterator[type[DOMNode]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    texts: set[str] = set()
    for cls in subclasses(DOMNode):
        if not cls.__module__.startswith("textual.") or ".demo" in cls.__module__:
            continue
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):
                texts.update(t for t in (binding.description, binding.tooltip) if t)
            elif len(binding) > 2:
                texts.add(binding[2])
        if cls.__dict__.get("BINDING_GROUP_TITLE"):
            texts.add(cls.__dict__["BINDING_GROUP_TITLE"])
    return texts


TEXTUAL = textual_texts()


@pytest.fixture
def registry(store_path: Path) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        build_demo(store)
        yield Registry(store)


def help_descriptions(app: App[Any]) -> list[str]:
    """What the open help panel lists beside the keys (and its group headings)."""
    table = app.screen.query_one(TranslatedBindingsTable).render_bindings_table()
    return [str(getattr(cell, "plain", cell)) for cell in table.columns[1].cells]


async def open_help(pilot: Pilot[Any]) -> list[str]:
    await pilot.press("f1")
    await pilot.pause()
    listed = [d for d in help_descriptions(pilot.app) if d]
    assert listed, "the help panel lists keys"
    return listed


def test_the_textual_texts_are_found() -> None:
    assert {"Cursor up", "Focus Next", "Delete character left", "Toggle", "Input"} <= TEXTUAL


async def test_in_english_textual_keys_keep_their_words(registry: Registry) -> None:
    app = PattiApp(registry, start="activities")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        listed = await open_help(pilot)
        assert {"Cursor up", "Focus Next", "Add", "Record"} <= set(listed)


async def test_f1_on_the_agenda_speaks_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry, start="activities")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        listed = await open_help(pilot)
        assert set(listed) & TEXTUAL == set()
        assert {"Cursore su", "Campo successivo", "Aggiungi", "Registra"} <= set(listed)
        await pilot.press("f1")
        await pilot.pause()
        assert not app.screen.query("HelpPanel"), "F1 again closes it"


async def test_f1_on_a_search_field_speaks_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry, start="pacts")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        listed = await open_help(pilot)
        assert set(listed) & TEXTUAL == set()
        assert {"Campo di testo", "Cancella il carattere a sinistra"} <= set(listed)


async def test_f1_in_a_dialog_speaks_italian(registry: Registry) -> None:
    """F1 works in dialogs too; the record dialog has a text area, radio buttons, an input."""
    set_language("it")
    app = PattiApp(registry, start="activities")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m", "r")
        await pilot.pause()
        assert isinstance(app.screen, RecordActivityDialog)
        app.screen.query_one("#record-notes", TextArea).focus()
        await pilot.pause()
        listed = await open_help(pilot)
        assert set(listed) & TEXTUAL == set()
        assert {"Annulla", "Ripeti", "Salva"} <= set(listed)  # undo, redo, the dialog's save
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # to the outcome's buttons
        await pilot.pause()
        assert set(help_descriptions(app)) & TEXTUAL == set()


async def test_f1_in_the_activity_editor_speaks_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry, start="activities")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        listed = await open_help(pilot)
        assert set(listed) & TEXTUAL == set()
        assert "Salva" in listed


async def test_the_palette_lists_textual_keys_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry, start="pacts")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert titles & TEXTUAL == set()
        assert "Seleziona tutto" in titles
