"""clean_text's fast path returns exactly what the full cleaning would."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from patti.core import text
from patti.core.text import clean_text

TRICKY = "ab é\u0301\t\n\r\x00\x1b\x7f\x85\xa0\u200e\u202e\u2028\u3000  "


def _cleaned_the_long_way(value: str, multiline: bool) -> str:
    cleaned = text._UNSAFE.sub("", unicodedata.normalize("NFC", value))
    if multiline:
        return cleaned.replace("\r\n", "\n").strip()
    return " ".join(cleaned.split())


@settings(max_examples=500)
@given(value=st.text(alphabet=st.sampled_from(TRICKY)) | st.text(), multiline=st.booleans())
@example(value="Associazione  Alfa", multiline=False)
@example(value="riga uno\nriga due", multiline=True)
@example(value="e\u0301", multiline=False)
def test_the_fast_path_agrees_with_the_full_cleaning(value: str, multiline: bool) -> None:
    assert clean_text(value, multiline=multiline) == _cleaned_the_long_way(value, multiline)
