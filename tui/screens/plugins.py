"""What the plugins add: which are loaded, from which distribution, and which failed.

Everything a plugin says about itself (names, versions, what it registers,
its error messages) is third-party text: it is cleaned of control characters
and shown as ``Content``/``Text``, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from patti.core.i18n import N_, _
from patti.core.plugins import PluginFailure, PluginHost, PluginInfo
from patti.core.services import Registry
from patti.core.text import clean_text

from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen

#: What ``PluginInfo.adds`` keys mean, for people (unknown keys are shown as they are).
ADDS_LABELS = {
    "pact_types": N_("pact types"),
    "exporters": N_("exporters"),
    "reference_data": N_("reference data"),
    "palette_commands": N_("palette commands"),
}

#: What each hook lets a plugin do, for people; the hook's own name stays beside it,
#: dim, for developers (a hook patti does not know is shown by its name alone).
HOOK_LABELS = {
    "register_pact_types": N_("adds pact types"),
    "register_reference_data": N_("adds zones, themes and known partners"),
    "register_exporters": N_("adds export formats"),
    "register_commands": N_("adds command-line commands"),
    "register_palette_commands": N_("adds command palette entries"),
    "validate_pact": N_("checks pacts before they are saved"),
    "pact_created": N_("acts when a pact is created"),
    "pact_updated": N_("acts when a pact is changed"),
    "pact_deleted": N_("acts when a pact is deleted"),
    "startup": N_("runs when patti starts"),
}


def hook_text(hook: str) -> str:
    """A hook's description in the UI's language, or its name when patti does not know it."""
    return _(HOOK_LABELS[hook]) if hook in HOOK_LABELS else hook


def pact_type_text(host: PluginHost | None, name: str) -> str:
    """A pact type's label in the UI's language (its key when the host no longer has it)."""
    pact_type = host.pact_type(name) if host is not None else None
    return pact_type.label() if pact_type is not None else name


def added_names(host: PluginHost | None, kind: str, names: list[str]) -> list[str]:
    """What a plugin adds, by label where patti has one (pact types), else by name."""
    if kind == "pact_types":
        return [pact_type_text(host, name) for name in names]
    return names


def adds_text(info: PluginInfo, host: PluginHost | None = None) -> str:
    """``pact types: Testimonies in schools; exporters: csv``, cleaned."""
    return clean_text(
        "; ".join(
            f"{_(ADDS_LABELS.get(kind, kind))}: {', '.join(added_names(host, kind, names))}"
            for kind, names in info.adds.items()
            if names
        )
    )


def failure_text(failure: PluginFailure) -> str:
    return clean_text(
        _("{name} ({stage}): {error}").format(
            name=failure.name, stage=failure.stage, error=failure.error
        )
    )


class PluginsScreen(PattiScreen):
    """The loaded plugins in a table, the highlighted one in detail, then the failed ones."""

    DEFAULT_CSS = """
    PluginsScreen #plugins-head {
        height: auto;
        padding: 0 1;
        text-style: bold;
    }
    PluginsScreen #plugin-table {
        height: 1fr;
    }
    PluginsScreen #plugin-detail-scroll {
        height: auto;
        max-height: 9;
        border-top: solid $primary-darken-2;
        padding: 0 1;
    }
    PluginsScreen #plugin-failures-scroll {
        height: auto;
        max-height: 10;
        border-top: solid $error;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "focus_failures", N_("Failed plugins"), id="plugins.failures"),
    ]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.infos: dict[str, PluginInfo] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(id="plugins-head")
        yield PagedTable[str](
            [
                Column("name", _("Name")),
                Column("distribution", _("Distribution")),
                Column("version", _("Version")),
                Column("builtin", _("Built-in")),
                Column("adds", _("Adds")),
                Column("hooks", _("Hooks")),
            ],
            id="plugin-table",
        )
        with VerticalScroll(id="plugin-detail-scroll"):
            yield Static(id="plugin-detail")
        with VerticalScroll(id="plugin-failures-scroll"):
            yield Static(id="plugin-failures")

    def on_mount(self) -> None:
        self.refresh_data()
        self.table.focus_table()

    @property
    def table(self) -> PagedTable[str]:
        return self.query_one("#plugin-table", PagedTable)

    def refresh_data(self) -> None:
        """Read the host again: a plugin that failed since (in a hook) is now disabled."""
        host = self.registry.plugins
        head = self.query_one("#plugins-head", Static)
        if host is None:
            self.infos = {}
            head.update(Content(_("Plugins are turned off (--no-plugins).")))
            failures: list[PluginFailure] = []
        else:
            infos = self.attempt(host.plugins) or []
            self.infos = {i.name: i for i in infos}
            failures = list(host.failures)
            head.update(
                Content(
                    _("{loaded} plugins loaded; failed: {failed}.").format(
                        loaded=len(infos), failed=len(failures)
                    )
                )
            )
        self._fill(keep=self.table.current())
        self._failures(failures)

    def _fill(self, keep: str | None) -> None:
        def render(name: str) -> list[str | Text]:
            info = self.infos[name]
            return [
                clean_text(info.name),
                clean_text(info.distribution),
                clean_text(info.version),
                _("yes") if info.builtin else _("no"),
                adds_text(info, self.registry.plugins),
                clean_text(", ".join(hook_text(h) for h in info.hooks)),
            ]

        self.table.set_rows(list(self.infos), render, keep=keep)
        self._detail(self.infos.get(self.table.current() or ""))

    def _detail(self, info: PluginInfo | None) -> None:
        detail = self.query_one("#plugin-detail", Static)
        if info is None:
            detail.update(Content(""))
            return
        origin = _("built in") if info.builtin else _("installed")
        parts: list[str | tuple[str, str]] = [
            (clean_text(info.name), "bold"),
            "  ",
            (f"{clean_text(info.distribution)} {clean_text(info.version)} ({origin})", "dim"),
            "\n",
            (_("Hooks") + ": ", "bold"),
        ]
        for hook in info.hooks:
            parts.extend(["\n  • ", clean_text(hook_text(hook))])
            if hook in HOOK_LABELS:
                parts.append((f"  {clean_text(hook)}", "dim"))
        if not info.hooks:
            parts.append("—")
        host = self.registry.plugins
        for kind, names in info.adds.items():
            if not names:
                continue
            label = _(ADDS_LABELS.get(kind, kind))
            parts.extend(["\n", (clean_text(label) + ": ", "bold")])
            for i, name in enumerate(names):
                shown = added_names(host, kind, [name])[0]
                parts.extend([", " if i else "", clean_text(shown)])
                if shown != name:
                    parts.append((f" ({clean_text(name)})", "dim"))
        detail.update(Content.assemble(*parts))

    def _failures(self, failures: list[PluginFailure]) -> None:
        box = self.query_one("#plugin-failures", Static)
        if not failures:
            box.update(Content.assemble((_("No plugin failed."), "$success")))
            return
        parts: list[str | tuple[str, str]] = [
            (_("Failed plugins (disabled): {n}").format(n=len(failures)), "bold $error")
        ]
        for failure in failures:
            parts.extend(["\n", "• ", failure_text(failure)])
        box.update(Content.assemble(*parts))

    def on_paged_table_highlighted(self, event: PagedTable.Highlighted) -> None:
        # Not @on(..., "#plugin-table"): PagedTable's messages have no ``control``.
        if event.table is self.table:
            key = event.key
            self._detail(self.infos.get(key) if isinstance(key, str) else None)

    def action_focus_failures(self) -> None:
        self.query_one("#plugin-failures-scroll", VerticalScroll).focus()
