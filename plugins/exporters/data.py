"""The report as JSON, for other programs: the year's figures, the account, the series of
every year and the year's network figures, in one document."""

from __future__ import annotations

import re
from typing import Any

import orjson

from patti.core.exporters import ExportContext, Exporter

FORMAT_VERSION = 1
"""Raised when a field changes meaning or goes away; new fields do not raise it."""

#: What orjson leaves unescaped but a terminal would act on: DEL, C1, bidi controls.
_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def json_bytes(data: Any) -> bytes:
    """Indented UTF-8 JSON in which nothing a terminal acts on is left raw (it is a
    ``\\u`` escape, so every JSON reader still gets the same text)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    return (_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n").encode()


def render(context: ExportContext) -> bytes:
    """The whole JSON document."""
    return json_bytes(
        {
            "format": "patti-report",
            "format_version": FORMAT_VERSION,
            "year": context.report.year,
            "language": context.language,
            "pseudonymised": context.pseudonymised,
            "created": context.created.isoformat(),
            "narrative": list(context.narrative),
            "report": context.report.as_json(),
            "series": [r.as_json() for r in context.series.reports],
            "network": context.network_figures.as_json(),
        }
    )


EXPORTER = Exporter(
    name="json",
    label_it="JSON (dati per altri programmi)",
    label_en="JSON (data for other programs)",
    extension="json",
    binary=False,
    render=render,
    media_type="application/json",
)
