"""Bar charts as inline SVG: drawn here, so the HTML report needs no script, no library
and no network to show them, and prints as sharp as its text.

Every text that enters the SVG goes through :func:`html.escape`. Colours
are the Okabe-Ito palette, told apart by colour-blind readers too.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from patti.core.text import clean_text

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")

WIDTH = 640
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 36, 28


@dataclass(frozen=True)
class Series:
    """One set of bars: a legend label and a value per category."""

    label: str
    values: tuple[int, ...]


def axis_step(value: float) -> int:
    """A round whole step for four gridlines that reach ``value``: 1, 2, 3, 4, 5, 15,
    20, 25… (at least 1), so the tallest bar fills most of the chart."""
    needed = value / 4
    if needed <= 1:
        return 1
    power = 10 ** math.floor(math.log10(needed))
    for multiple in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = multiple * power
        if step >= needed and step == int(step):
            return int(step)
    raise AssertionError("unreachable")  # pragma: no cover


def _e(text: str) -> str:
    """Text for HTML: one line, no control characters, every markup character escaped."""
    return html.escape(clean_text(text), quote=True)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    number: Callable[[int], str] = str,
    stacked: bool = False,
    highlight: str | None = None,
) -> str:
    """An ``<svg>`` element: bars side by side (or ``stacked``) for each category, a
    legend, a value axis in four round steps, and ``highlight`` (a category) in bold."""
    totals = [
        sum(s.values[i] for s in series)
        if stacked
        else max((s.values[i] for s in series), default=0)
        for i in range(len(categories))
    ]
    step = axis_step(max(totals, default=0))
    top = step * 4
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    band = plot_w / max(len(categories), 1)
    group = band * 0.7
    bar = group if stacked else group / max(len(series), 1)

    def y(value: float) -> float:
        return _TOP + plot_h - value * plot_h / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label="{_e(title)}" class="chart">',
        f"<title>{_e(title)}</title>",
    ]
    for value in range(0, top + 1, step):
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">'
            f"{_e(number(value))}</text>"
        )
    x_legend = _LEFT
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x_legend}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x_legend + 16}" y="18" class="legend">{_e(item.label)}</text>'
        )
        x_legend += 28 + 7 * len(item.label)
    for i, category in enumerate(categories):
        left = _LEFT + band * i + (band - group) / 2
        base = 0
        for index, item in enumerate(series):
            value = item.values[i]
            colour = PALETTE[index % len(PALETTE)]
            x = left if stacked else left + bar * index
            bottom = base if stacked else 0
            label = f"{item.label}, {category}: {number(value)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y(bottom + value):.1f}" width="{bar:.1f}" '
                f'height="{y(bottom) - y(bottom + value):.1f}" fill="{colour}">'
                f"<title>{_e(label)}</title></rect>"
            )
            if value and not stacked and len(categories) * len(series) <= 36:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y(value) - 3:.1f}" text-anchor="middle" '
                    f'class="value">{_e(number(value))}</text>'
                )
            if stacked:
                base += value
        if stacked and base and len(categories) <= 36:
            parts.append(
                f'<text x="{left + group / 2:.1f}" y="{y(base) - 3:.1f}" text-anchor="middle" '
                f'class="value">{_e(number(base))}</text>'
            )
        weight = ' font-weight="bold"' if category == highlight else ""
        parts.append(
            f'<text x="{left + group / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'class="tick"{weight}>{_e(category)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
