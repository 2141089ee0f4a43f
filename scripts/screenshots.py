"""Regenerate the screenshots of the operator guides, from the app itself.

    .venv/bin/python scripts/screenshots.py              # every shot, Italian and English
    .venv/bin/python scripts/screenshots.py --lang it    # one language
    .venv/bin/python scripts/screenshots.py planner      # some shots only

Each shot is the real :class:`~patti.tui.app.PattiApp` on a fresh demo store,
driven with ``run_test`` and Pilot the way an operator would (function keys,
``n``, ``s``, ``p``…), then saved with ``App.export_screenshot`` as
``docs/screenshots/<name>.<lang>.svg`` for docs/operator-guide.md and
docs/operator-guide.en.md.

Everything happens in a temporary folder laid out like a user's home (the
store is ``.local/share/patti/demo.json`` in it, the working folder
``Documenti``): no environment variable, store or plugin of the person who
runs it is read or touched, and the folder is deleted at the end. The
folder's real name is shown as ``~`` in the pictures, so that they read like
an operator's screen and do not change from one run to the next. Only the
built-in plugins are loaded (plus, for the plugins screen, a deliberately
broken one, to show what a failure looks like). Backups are written with
fixed dates and the cursor does not blink, so a second run gives the same
files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots"
SIZE = (120, 36)
LANGUAGES = ("it", "en")
SHOWN_HOME = "~"
"""What the temporary folder is shown as in the pictures."""

BROKEN_PLUGIN = "esempio_guasto"
BROKEN_MODULE = '''"""An example of a plugin that fails: patti disables it and goes on."""

from patti.core import hookimpl


@hookimpl
def register_pact_types(register):
    raise FileNotFoundError("zone-quartieri.csv non trovato")
'''


def isolate(home: Path) -> None:
    """Point every setting patti reads at ``home`` (before patti is imported)."""
    for name in (
        "PATTI_DB",
        "PATTI_LANG",
        "PATTI_LOAD_PLUGINS",
        "PATTI_DISABLE_PLUGINS",
        "PATTI_BACKUP_KEEP",
    ):
        os.environ.pop(name, None)
    os.environ["HOME"] = str(home)
    os.environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
    os.environ["LANG"] = "C.UTF-8"
    os.environ["TZ"] = "Europe/Rome"  # the backups' dates, as an Italian team reads them
    time.tzset()


# -- the shots ---------------------------------------------------------------------------------

Pilot = Any  # textual.pilot.Pilot[None], imported late (after ``isolate``)
Steps = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    """One picture: the screen the app opens on, then what the operator does."""

    name: str
    start: str
    steps: Steps | None = None
    broken_plugin: bool = False


async def settle(pilot: Pilot) -> None:
    """Wait for the workers (counting, searching, planning) and for their results to draw."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def template_picker(pilot: Pilot) -> None:
    await press(pilot, "n")


async def pact_editor(pilot: Pilot) -> None:
    """A new pact from the testimonies template: title typed, the promoter added, and the
    form scrolled to the members (what activation checks) and the type's own fields."""
    await press(pilot, "n")
    picker = pilot.app.screen.query_one("#template-options")
    index = next(
        i
        for i in range(picker.option_count)
        if picker.get_option_at_index(i).id == "school_testimonies"
    )
    picker.highlighted = index  # the arrows' job; the order of the labels depends on the language
    await press(pilot, "enter")
    for char in "Testimonianze nelle scuole 2022/23":
        await pilot.press(char)
    await settle(pilot)
    editor = pilot.app.screen
    editor.query_one("#member-picker Input").focus()  # Tab, Tab… from the title
    for char in "Comune di Crema":
        await pilot.press(char)
    await press(pilot, "enter")
    members = editor.query(".form-section")[1]
    editor.query_one("#editor-form").scroll_to_widget(members, animate=False, top=True)
    await settle(pilot)


async def status_dialog(pilot: Pilot) -> None:
    """The status of next year's draft (made with ``c`` beforehand): its possible moves."""
    await press(pilot, "s")


async def planner(pilot: Pilot) -> None:
    """``p`` on the testimonies pact: the planner's proposal, grouped by school."""
    await press(pilot, "p")


async def partners_search(pilot: Pilot) -> None:
    await press(pilot, "slash", *"oratorio", "enter")


async def partner_editor(pilot: Pilot) -> None:
    await press(pilot, "slash", *"mani aperte", "enter", "e")


async def agenda_record(pilot: Pilot) -> None:
    """Next week in the agenda, then ``r`` on its first activity, attendance typed."""
    await press(pilot, "right", "r", "2", "1")


async def report_export(pilot: Pilot) -> None:
    await press(pilot, "x")


async def backups_restore(pilot: Pilot) -> None:
    """``r`` on the older backup: the comparison with the store, then the question."""
    await press(pilot, "down", "down", "r")


async def plugins_failed(pilot: Pilot) -> None:
    await press(pilot, "f")


SHOTS: tuple[Shot, ...] = (
    Shot("dashboard", "dashboard"),
    Shot("pacts", "pacts"),
    Shot("pact-template", "pacts", template_picker),
    Shot("pact-editor", "pacts", pact_editor),
    Shot("pact-status", "pacts", status_dialog),
    Shot("planner", "pacts", planner),
    Shot("partners", "partners", partners_search),
    Shot("partner-editor", "partners", partner_editor),
    Shot("agenda-record", "activities", agenda_record),
    Shot("report-export", "report", report_export),
    Shot("network", "network"),
    Shot("backups-restore", "backups", backups_restore),
    Shot("plugins", "plugins", plugins_failed, broken_plugin=True),
)


# -- the store and the app ------------------------------------------------------------------


def prepare_store(home: Path, shot: Shot) -> Path:
    """A fresh demo store, with what the shot needs done beforehand."""
    from patti.core.backup import write_backup
    from patti.core.demo import build_demo
    from patti.core.services import Registry
    from patti.core.store import Store

    folder = home / ".local" / "share" / "patti"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "demo.json"
    with Store.open(path) as store:
        build_demo(store)
        registry = Registry(store)
        if shot.name == "pact-status":
            # ``c`` on the testimonies pact: next year's edition, as a draft.
            registry.continue_pact(registry.pact("PdC-2021-01").id or 0)
        if shot.name == "backups-restore":
            write_backup(store, kind="auto", now=datetime(2021, 12, 30, 8, 41).astimezone())
            registry.create_partner(
                name="Gruppo di lettura «Pagine Aperte»",
                kind="informal_group",
                zones=["centro-storico"],
                tags=["demo"],
            )
            write_backup(store, now=datetime(2021, 12, 31, 17, 5).astimezone())
            write_backup(store, kind="auto", now=datetime(2022, 1, 1, 8, 36).astimezone())
    return path


def plugin_host(home: Path, broken: bool) -> Any:
    """The built-in plugins; with ``broken``, also one installed plugin that fails."""
    from patti.core.plugins import DEFAULT_PLUGINS, PluginHost

    if not broken:
        return PluginHost(entry_point_group=None)
    site = home / "plugins"
    site.mkdir(exist_ok=True)
    (site / f"patti_{BROKEN_PLUGIN}.py").write_text(BROKEN_MODULE, encoding="utf-8")
    info = site / f"patti_{BROKEN_PLUGIN}-0.3.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: patti-{BROKEN_PLUGIN}\nVersion: 0.3.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[patti]\n{BROKEN_PLUGIN} = patti_{BROKEN_PLUGIN}\n", encoding="utf-8"
    )
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    # Only the built-ins and the broken one: other plugins installed here stay out.
    names = [module.rsplit(".", 1)[-1] for module in DEFAULT_PLUGINS] + [BROKEN_PLUGIN]
    os.environ["PATTI_LOAD_PLUGINS"] = ",".join(names)
    return PluginHost()


def steady_cursor() -> None:
    """A blinking cursor would be on or off depending on the moment of the picture."""
    from textual.widgets import Input, TextArea

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]


def disguise(app: Any, real: str, shown: str) -> None:
    """Show the temporary folder as ``shown`` wherever the screens print a path."""
    from textual.content import Content
    from textual.widgets import Static

    app.sub_title = app.sub_title.replace(real, shown)
    for screen in app.screen_stack:
        for static in screen.query(Static):
            content = static.content
            if isinstance(content, str) and real in content:
                static.update(content.replace(real, shown))
            elif isinstance(content, Content) and real in content.plain:
                static.update(_replaced(content, real, shown))


def _replaced(content: Any, real: str, shown: str) -> Any:
    """``content`` with every ``real`` replaced by ``shown``, the styles around kept."""
    from textual.content import Content, Span

    start = content.plain.find(real)
    while start >= 0:
        before, middle, after = content.divide([start, start + len(real)])
        spans = [Span(0, len(shown), span.style) for span in middle.spans]
        content = Content.assemble(before, Content(shown, spans), after)
        start = content.plain.find(real, start + len(shown))
    return content


async def take(shot: Shot, lang: str, home: Path) -> str:
    """Run the shot in ``lang`` and return the SVG."""
    from patti.core.i18n import set_language
    from patti.core.services import Registry
    from patti.core.store import Store
    from patti.tui.app import PattiApp

    path = prepare_store(home, shot)
    set_language(lang)
    host = plugin_host(home, shot.broken_plugin)
    store = Store.open(path)
    try:
        host.startup(store)
        app = PattiApp(Registry(store, plugins=host), start=shot.start)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            if shot.steps is not None:
                await shot.steps(pilot)
            await settle(pilot)
            disguise(app, str(home), SHOWN_HOME)
            await settle(pilot)
            svg: str = app.export_screenshot(title="patti")
    finally:
        store.close()
        os.environ.pop("PATTI_LOAD_PLUGINS", None)
    # Rich gives every export a random id; a fixed one per file keeps a rerun's files equal.
    return re.sub(r"\bterminal-\d+-", f"terminal-{shot.name}-{lang}-", svg)


@contextmanager
def temporary_home() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="patti-screenshots-")).resolve()
    try:
        (folder / "Documenti").mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shots", nargs="*", help="names of the shots (default: all)")
    parser.add_argument("--lang", choices=LANGUAGES, action="append", help="default: it and en")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    args = parser.parse_args(argv)
    known = {shot.name: shot for shot in SHOTS}
    unknown = [name for name in args.shots if name not in known]
    if unknown:
        parser.error(f"unknown shots: {', '.join(unknown)} (known: {', '.join(known)})")
    chosen = [known[name] for name in args.shots] if args.shots else list(SHOTS)
    output: Path = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    with temporary_home() as home:
        isolate(home)
        os.chdir(home / "Documenti")  # where the export dialog offers to save
        try:
            steady_cursor()
            for lang in args.lang or LANGUAGES:
                for shot in chosen:
                    svg = asyncio.run(take(shot, lang, home))
                    target = output / f"{shot.name}.{lang}.svg"
                    target.write_text(svg, encoding="utf-8")
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
        finally:
            os.chdir(cwd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
