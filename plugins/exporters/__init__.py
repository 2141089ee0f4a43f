"""The built-in export formats: the annual report as Markdown, HTML, CSV, Excel and JSON,
and the partner network as GraphML and JSON.

Each format is a module with an :class:`~patti.core.exporters.Exporter`;
Markdown, HTML, CSV and Excel show the same tables, built once in
:mod:`.tables`. A third-party format is a plugin like this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from patti.core import hookimpl
from patti.core.exporters import Exporter

from . import csvfile, data, graph, markdown, webpage, workbook

__all__ = ["EXPORTERS", "register_exporters"]

#: In the order ``--format`` lists them.
EXPORTERS: tuple[Exporter, ...] = (
    markdown.EXPORTER,
    webpage.EXPORTER,
    csvfile.EXPORTER,
    workbook.EXPORTER,
    data.EXPORTER,
    graph.GRAPHML,
    graph.NETWORK_JSON,
)


@hookimpl
def register_exporters(register: Callable[[str, Any], None]) -> None:
    for exporter in EXPORTERS:
        register(exporter.key, exporter)
