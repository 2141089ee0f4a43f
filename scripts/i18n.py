"""Keep the gettext catalogs in step with the code.

    python scripts/i18n.py update   # extract messages, merge into it/en .po, compile .mo
    python scripts/i18n.py check    # exit 1 when a message lacks Italian or a .mo is stale

Message ids are English. The Italian catalog must translate every one of
them; the English catalog is an identity catalog (kept so a translator can
adjust wording without touching the code).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("core", "plugins", "tui")
LOCALE = ROOT / "core" / "locale"
DOMAIN = "patti"
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NC_": ((1, "c"), 2),
}


def extract() -> Catalog:
    """Every translatable message in the source folders."""
    template = Catalog(project="patti", domain=DOMAIN)
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            template.add(
                message,
                locations=[(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="patti")
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def missing_translations(catalog: Catalog, template: Catalog) -> list[str]:
    """Message ids of ``template`` with no (non-fuzzy) translation in ``catalog``."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or found.fuzzy or not _translated(found.string):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def _translated(string: object) -> bool:
    if isinstance(string, (tuple, list)):
        return all(bool(s) for s in string)
    return bool(string)


def update() -> None:
    template = extract()
    for language in ("it", "en"):
        catalog = load(language)
        catalog.update(template, no_fuzzy_matching=True)
        if language == "en":
            for message in catalog:
                if message.id and not _translated(message.string):
                    message.string = message.id
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
        path.with_suffix(".mo").write_bytes(compiled(catalog))
        missing = missing_translations(catalog, template)
        total = sum(1 for m in template if m.id)
        print(f"{language}: {total} messages, {len(missing)} untranslated")


def check() -> int:
    template = extract()
    problems = 0
    for language in ("it", "en"):
        catalog = load(language)
        missing = missing_translations(catalog, template)
        for message in missing:
            print(f"{language}: no translation for {message!r}")
        problems += len(missing)
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            print(f"{language}: {mo.name} is out of date: run python scripts/i18n.py update")
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    else:
        sys.exit(check())
