"""End to end in a real terminal: tmux runs ``patti demo``, keys create a pact.

What the Pilot tests cannot see: the console script, the real terminal driver
(key sequences as a terminal sends them, ctrl+s included), the demo built by
the CLI and the TUI opened on it, the exit status, and the store as the CLI
reads it afterwards.

Keys go one per ``send-keys`` call and the next one waits until the screen
shows the previous one's effect: keys sent in quick succession were lost on a
loaded machine (Tabs sent 50 ms apart, with three of these runs in parallel,
moved the focus 7 to 9 fields instead of 12). Where text does not show a
step, the terminal does: the TUI puts the (hidden) cursor where the focused
input's cursor is, the footer shows the focused widget's bindings, and a
highlighted option has its own colours. Waits are deadlines, never measures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from patti.core.demo import AS_OF
from patti.core.i18n import _, set_language
from patti.core.plugins import PluginHost

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PATTI = Path(sys.executable).with_name("patti")
TITLE = "E2E Orto di via Roma"
PARTNER = "Alimentari Da Rina"  # a demo partner
TYPED_PARTNER = "Da Rina"
_STYLES_BEFORE = re.compile(r"((?:\x1b\[[0-9;:]*m)+)$")


class Terminal:
    """One tmux server of our own with one session; keys in, screen out."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        config = tmp_path / "tmux.conf"  # no user's tmux.conf
        config.write_text("set-option -g remain-on-exit on\n")
        self.tmux = ["tmux", "-L", f"e2e-{uuid.uuid4().hex[:12]}", "-f", str(config)]
        self.env = env
        self.last = ""

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*self.tmux, *args], capture_output=True, text=True, env=self.env, timeout=10
        )
        return done.stdout

    def start(self, command: str) -> None:
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-x", "120", "-y", "36", "-s", "e2e", command],
            check=True,
            env=self.env,
            timeout=10,
        )

    def screen(self, *, styles: bool = False) -> str:
        """The pane as text (with its colours as escape sequences when ``styles``)."""
        self.last = self.run("capture-pane", "-p", *(["-e"] if styles else []), "-t", "e2e")
        return self.last

    def cursor(self) -> tuple[int, int]:
        """Where the terminal's cursor is: the focused input's cursor (x, y)."""
        shown = self.run("display-message", "-p", "-t", "e2e", "#{cursor_x},#{cursor_y}")
        x, _sep, y = shown.strip().partition(",")
        return int(x or -1), int(y or -1)

    def footer(self) -> str:
        return self.screen().rstrip("\n").rpartition("\n")[2]

    def key(self, key: str, *, literal: bool = False) -> None:
        """Send one key (a tmux key name, or one character with ``literal``)."""
        flags = ["-l"] if literal else []
        subprocess.run(
            [*self.tmux, "send-keys", "-t", "e2e", *flags, key],
            check=True,
            env=self.env,
            timeout=10,
        )

    def wait_until(self, done: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
        """Poll until ``done()``; fail naming ``what``, with the last screen captured."""
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                shown = self.screen()
                pytest.fail(f"not shown within {seconds} s: {what}\n--- last screen ---\n{shown}")
            time.sleep(0.05)

    def wait_for(self, text: str, seconds: float = 10.0) -> str:
        self.wait_until(lambda: text in self.screen(), repr(text), seconds)
        return self.last

    def row_of(self, label: str) -> int | None:
        """The line of the pane showing ``label`` (in the last capture)."""
        return next((y for y, line in enumerate(self.last.splitlines()) if label in line), None)

    def type_into(self, label: str, text: str) -> None:
        """Type ``text`` one character at a time into the field whose row shows ``label``."""
        for end in range(1, len(text) + 1):
            self.key(text[end - 1], literal=True)
            typed = text[:end].rstrip()

            def shown(typed: str = typed) -> bool:
                rows = (line for line in self.screen().splitlines() if label in line)
                return any(row.partition(label)[2].strip(" █").endswith(typed) for row in rows)

            self.wait_until(shown, f"{typed!r} typed in the field {label!r}")

    def tab_to(self, label: str, most: int = 20) -> None:
        """Tab until the input on the row showing ``label`` has the focus.

        Each Tab waits for the focus to show it moved: the cursor (inputs, text areas) or
        the footer (a list or a select shows its own bindings there, or stops showing them).
        """
        for _step in range(most):
            state = (self.cursor(), self.footer())
            if self.cursor()[1] == self.row_of(label):
                return
            self.key("Tab")

            def moved(state: tuple[tuple[int, int], str] = state) -> bool:
                return (self.cursor(), self.footer()) != state

            self.wait_until(moved, f"the focus to move on with Tab towards {label!r}")
        pytest.fail(f"{label!r} not reached in {most} Tabs\n--- last screen ---\n{self.last}")

    def highlighted(self, option: str, like: str | None) -> bool:
        """Whether ``option`` now has the colours ``like`` had when it was highlighted."""
        return self.styles_before(option) == like

    def styles_before(self, text: str) -> str | None:
        """The escape sequences just before ``text`` on the screen: how it is drawn."""
        for line in self.screen(styles=True).splitlines():
            head, found, _tail = line.partition(text)
            if found:
                match = _STYLES_BEFORE.search(head)
                return match.group(1) if match else ""
        return None

    def close(self) -> None:
        socket = self.run("display-message", "-p", "#{socket_path}").strip()
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, env=self.env, timeout=10)
        if socket and Path(socket).name.startswith("e2e-"):
            Path(socket).unlink(missing_ok=True)  # tmux 3.3 leaves it behind


def patti_json(db: Path, *args: str) -> Any:
    done = subprocess.run(
        [str(PATTI), "--db", str(db), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if not PATTI.exists():
        pytest.skip(f"no patti console script next to {sys.executable}")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "PATTI_", "LC_", "XDG_"))
    }
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        LANG="C.UTF-8",
    )
    term = Terminal(tmp_path, env)
    try:
        yield term
    finally:
        term.close()


@pytest.mark.parametrize("language", ["en", "it"])
def test_create_a_pact_in_a_real_terminal(
    terminal: Terminal, tmp_path: Path, language: str
) -> None:
    set_language(language)  # the strings the TUI shows (the conftest resets it)
    pact_types = PluginHost().pact_types()
    pact_type = pact_types["community_ties"]
    labels = sorted(t.label() for t in pact_types.values())  # as the template picker orders
    role = pact_type.roles[0]  # the role the editor proposes first
    db = tmp_path / "demo.json"
    command = shlex.join([str(PATTI), "--db", str(db), "--lang", language, "demo"])
    terminal.start(f"{command}; echo EXIT=$?; sleep 30")

    # the dashboard of the demo's year, then F3: the pacts
    heading = _("The year {year} at a glance · today is {today}").partition("{today}")[0]
    terminal.wait_for(heading.format(year=AS_OF.year), seconds=20)
    terminal.key("F3")
    terminal.wait_for(_("Search pacts (code, title, objectives)…"))
    before = patti_json(db, "pacts", "list")
    partners = patti_json(db, "partners", "list")

    # n: the templates; Down to ours (each Down seen to move the highlight), Enter
    terminal.key("n")
    terminal.wait_for(_("New pact: choose the template"))
    terminal.wait_until(
        lambda: terminal.styles_before(labels[0]) not in (None, terminal.styles_before(labels[1])),
        f"the first template {labels[0]!r} highlighted",
    )
    highlight = terminal.styles_before(labels[0])
    for label in labels[1 : labels.index(pact_type.label()) + 1]:
        terminal.key("Down")
        terminal.wait_until(
            partial(terminal.highlighted, label, highlight), f"the template {label!r} highlighted"
        )
    terminal.key("Enter")
    terminal.wait_for(_("type a partner's name, Enter adds it"))
    terminal.wait_for(pact_type.description()[:60])  # the editor's heading: our template

    # the title (the first field has the focus), then a member through the partner picker
    terminal.type_into(_("Title") + " *", TITLE)
    terminal.tab_to(_("Add member"))
    terminal.type_into(_("Add member"), TYPED_PARTNER)
    terminal.wait_for(PARTNER)
    terminal.key("Enter")
    terminal.wait_for(f"• {PARTNER} ({role.label})")

    # ctrl+s saves and the list shows the new pact; q quits
    terminal.key("C-s")
    terminal.wait_until(
        lambda: any(
            TITLE in line and str(AS_OF.year) in line and "PdC-" in line
            for line in terminal.screen().splitlines()
        ),
        f"a row of the list with {TITLE!r}",
    )
    terminal.key("q")
    screen = terminal.wait_for("EXIT=", seconds=15)
    status = re.search(r"EXIT=(\d+)", screen)
    assert status is not None and status.group(1) == "0", screen

    # the store, as the CLI reads it
    after = patti_json(db, "pacts", "list")
    new = [p for p in after if p["id"] not in {q["id"] for q in before}]
    assert len(after) == len(before) + 1, terminal.last
    assert len(new) == 1, new
    pact = new[0]
    assert pact["title"] == TITLE
    assert pact["type"] == "community_ties"
    assert pact["status"] == "draft"
    assert pact["year"] == AS_OF.year
    assert pact["code"].startswith(f"PdC-{AS_OF.year}-")
    partner_id = next(p["id"] for p in partners if p["name"] == PARTNER)
    assert [(m["partner_id"], m["role"]) for m in pact["members"]] == [(partner_id, role.name)]
    check = subprocess.run(
        [str(PATTI), "--db", str(db), "check"], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr
