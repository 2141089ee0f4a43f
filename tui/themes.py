"""A high-contrast theme for operators with low vision or a washed-out remote desktop.

Textual's own themes stay available (palette: Theme); NO_COLOR is honoured
by Textual itself (the UI turns monochrome).
"""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="patti-high-contrast",
    primary="#FFD700",
    secondary="#00FFFF",
    accent="#FFD700",
    warning="#FFA500",
    error="#FF4040",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    boost="#333333",
    dark=True,
    luminosity_spread=0.3,
    text_alpha=1.0,
)
