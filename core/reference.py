"""Reference data that plugins contribute: zones, themes and well-known partners."""

from __future__ import annotations

from dataclasses import dataclass, field

from .i18n import bilingual
from .model import PartnerKind


@dataclass(frozen=True)
class Zone:
    """A neighbourhood or social zone (quartiere / zona sociale)."""

    key: str
    label: str


@dataclass(frozen=True)
class Theme:
    """A theme of the taxonomy (prevention, loneliness, …), labelled in both languages."""

    key: str
    label_it: str
    label_en: str

    @property
    def label(self) -> str:
        return bilingual(self.label_it, self.label_en)


@dataclass(frozen=True)
class KnownPartner:
    """A partner every team in a city knows (its school institutes, say)."""

    name: str
    kind: PartnerKind
    zones: tuple[str, ...] = ()
    parent: str | None = None


@dataclass
class ReferenceData:
    """One plugin's contribution; the plugin host merges them (first key wins)."""

    zones: list[Zone] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    partners: list[KnownPartner] = field(default_factory=list)

    def merge(self, other: ReferenceData) -> None:
        for mine, theirs in (
            (self.zones, other.zones),
            (self.themes, other.themes),
        ):
            keys = {item.key for item in mine}
            mine.extend(item for item in theirs if item.key not in keys)  # type: ignore[misc]
        names = {p.name for p in self.partners}
        self.partners.extend(p for p in other.partners if p.name not in names)

    def zone_label(self, key: str) -> str:
        return next((z.label for z in self.zones if z.key == key), key)

    def theme_label(self, key: str) -> str:
        return next((t.label for t in self.themes if t.key == key), key)


#: The base taxonomy of community work; plugins add themes of their own.
BASE_THEMES: tuple[Theme, ...] = (
    Theme("prevention", "Prevenzione", "Prevention"),
    Theme("loneliness", "Contrasto alla solitudine", "Fighting loneliness"),
    Theme("mutual-knowledge", "Conoscenza reciproca", "Mutual knowledge"),
    Theme("legality", "Legalità", "Legality"),
    Theme("volunteering", "Volontariato", "Volunteering"),
    Theme("active-citizenship", "Cittadinanza attiva", "Active citizenship"),
    Theme("health", "Salute e benessere", "Health and well-being"),
    Theme("intergenerational", "Legami tra generazioni", "Intergenerational ties"),
    Theme("youth", "Giovani e adolescenti", "Young people"),
    Theme("inclusion", "Inclusione", "Inclusion"),
    Theme("environment", "Cura dei beni comuni", "Care of common goods"),
)
