"""Search-as-you-type over records: accent- and case-insensitive substring match.

Operators type "citta" for "Città" and "sol" for "Solitudine": text is
folded (NFKD, accents dropped, casefold) once per record and matched by
substring. Scanning a precomputed folded string is ~40 ms at 100,000
records (NOTES.md); an incremental index is for the performance issue.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from .text import clean_text


def fold(text: str) -> str:
    """Lowercase, accent-free form of ``text`` for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def document_text(doc: dict[str, Any], fields: Iterable[str]) -> str:
    """The folded text of a stored document's searchable fields (strings and lists of strings)."""
    parts: list[str] = []
    for field in fields:
        value = doc.get(field)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    return fold("\n".join(parts))


def matches(haystack: str, query: str) -> bool:
    """Every word of ``query`` occurs in the folded ``haystack``."""
    return all(word in haystack for word in fold(clean_text(query)).split())
