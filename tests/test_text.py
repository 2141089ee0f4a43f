"""The fast paths of text cleaning and e-mail checking give exactly what the long way does."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from patti.core import model, text
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


LOCAL = st.text(alphabet="abcXYZ019._%+-!#'", min_size=1, max_size=70)
DOMAIN = st.lists(
    st.text(alphabet="abcXYZ019-", min_size=1, max_size=70), min_size=1, max_size=4
).map(".".join)


@settings(max_examples=500)
@given(
    address=st.emails()
    | st.builds(
        "{}@{}".format,
        LOCAL,
        DOMAIN
        | st.sampled_from(
            ["x.test", "a.localhost", "b.c.onion", "COMUNE.Crema.CR.IT", "a.b1", "x.123"]
        ),
    )
)
@example(address="Mario.Rossi@Comune.Crema.CR.it")
@example(address="mario <mario@example.org>")
def test_the_email_fast_path_agrees_with_email_validator(address: str) -> None:
    try:
        expected: str | None = validate_email(address)[1]
    except PydanticCustomError:
        expected = None
    try:
        got: str | None = model._email(address)
    except PydanticCustomError:
        got = None
    assert got == expected
