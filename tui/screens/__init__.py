"""Screens of the operator UI, and how the app reaches them.

Every top-level screen is a mode of the app (see :class:`patti.tui.app.PattiApp`):
``SCREENS`` maps a mode to the screen class, ``NAVIGATION`` gives each mode
its function key and label, in the order the Footer shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from patti.core.i18n import N_

from .agenda import AgendaScreen
from .backups import BackupsScreen
from .base import PattiScreen
from .dashboard import DashboardScreen
from .network import NetworkScreen
from .pacts import PactsScreen
from .partners import PartnersScreen
from .plugins import PluginsScreen
from .report import ReportScreen


@dataclass(frozen=True)
class Target:
    """A place the operator can go: its mode, key and (untranslated) label."""

    mode: str
    key: str
    label: str


NAVIGATION: tuple[Target, ...] = (
    Target("dashboard", "f2", N_("Dashboard")),
    Target("pacts", "f3", N_("Pacts")),
    Target("partners", "f4", N_("Partners")),
    Target("activities", "f5", N_("Agenda")),
    Target("report", "f6", N_("Report")),
    Target("network", "f7", N_("Network")),
    Target("backups", "f8", N_("Backups")),
    Target("plugins", "f9", N_("Plugins")),
)

SCREENS: dict[str, type[PattiScreen]] = {
    "dashboard": DashboardScreen,
    "pacts": PactsScreen,
    "partners": PartnersScreen,
    "activities": AgendaScreen,
    "report": ReportScreen,
    "network": NetworkScreen,
    "backups": BackupsScreen,
    "plugins": PluginsScreen,
}

for _mode, _screen in SCREENS.items():
    _screen.MODE = _mode  # the navigation bar marks the screen the operator is on

__all__ = [
    "NAVIGATION",
    "SCREENS",
    "AgendaScreen",
    "BackupsScreen",
    "DashboardScreen",
    "NetworkScreen",
    "PactsScreen",
    "PartnersScreen",
    "PattiScreen",
    "PluginsScreen",
    "ReportScreen",
    "Target",
]
