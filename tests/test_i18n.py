"""Every message has an Italian translation, and the language is chosen as documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from patti.core import i18n
from patti.core.model import PactStatus

ROOT = Path(__file__).resolve().parent.parent


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_has_an_italian_translation() -> None:
    script = load_script()
    missing = script.missing_translations(script.load("it"), script.extract())
    assert missing == []


def test_compiled_catalogs_match_their_sources() -> None:
    script = load_script()
    for language in ("it", "en"):
        mo = script.po_path(language).with_suffix(".mo")
        assert mo.read_bytes() == script.compiled(script.load(language)), (
            f"{mo} is stale: run python scripts/i18n.py update"
        )


def test_explicit_language_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATTI_LANG", "it")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    assert i18n.resolve_language("en") == "en"


def test_patti_lang_beats_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATTI_LANG", "en")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    assert i18n.resolve_language(None) == "en"


def test_lang_is_used_when_nothing_else_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.resolve_language(None) == "en"


def test_italian_when_no_language_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATTI_LANG", "LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.resolve_language(None) == "it"


def test_an_unsupported_explicit_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.resolve_language("fr")


def test_labels_follow_the_active_language() -> None:
    i18n.set_language("it")
    assert PactStatus.ACTIVE.label == "Attivo"
    i18n.set_language("en")
    assert PactStatus.ACTIVE.label == "Active"


def test_one_english_word_can_have_two_italian_translations() -> None:
    from patti.core.model import ActivityStatus, PactStatus

    i18n.set_language("it")
    try:
        # an activity is "annullata", a pact "annullato": two contexts, one English word
        assert (ActivityStatus.CANCELLED.label, PactStatus.CANCELLED.label) == (
            "Annullata",
            "Annullato",
        )
    finally:
        i18n.set_language("en")
    assert ActivityStatus.CANCELLED.label == PactStatus.CANCELLED.label == "Cancelled"
