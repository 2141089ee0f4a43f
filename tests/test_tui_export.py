"""The export dialog never writes one format under another format's extension."""

from __future__ import annotations

from pathlib import Path

from test_tui_report import demo_path, host, in_tmp, open_report, registry  # noqa: F401
from textual.widgets import Input, Select, Static

from patti.core.services import Registry
from patti.tui.app import PattiApp
from patti.tui.dialogs.export import ExportDialog


async def test_a_name_whose_extension_is_not_the_formats_is_refused_inline(
    registry: Registry,  # noqa: F811
    in_tmp: Path,  # noqa: F811
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_report(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-format", Select).value = "csv"
        await pilot.pause()
        name = dialog.query_one("#export-name", Input)
        assert name.value == "report-2021.csv"  # the name follows the format
        name.value = "report-2021.xlsx"
        before = sorted(p.name for p in in_tmp.iterdir())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        error = str(dialog.query_one("#export-error", Static).render())
        assert ".xlsx" in error and ".csv" in error
        assert sorted(p.name for p in in_tmp.iterdir()) == before
