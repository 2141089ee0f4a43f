"""Reference data of Crema: its neighbourhoods and its four Istituti Comprensivi.

The institutes' names here are the demo's invented ones: a real deployment
replaces this pack with its own city's.
"""

from __future__ import annotations

from collections.abc import Callable

from patti.core import demo, hookimpl
from patti.core.model import PartnerKind
from patti.core.reference import KnownPartner, ReferenceData, Zone


def reference_data() -> ReferenceData:
    """Crema's zones and its institutes with their lower-secondary schools."""
    partners = []
    for institute in demo.INSTITUTES:
        partners.append(
            KnownPartner(institute.name, PartnerKind.SCHOOL_INSTITUTE, (institute.zone,))
        )
        school = institute.school
        partners.append(
            KnownPartner(school.name, PartnerKind.SCHOOL, (school.zone,), parent=institute.name)
        )
    zones = [Zone(z.slug, z.name) for z in demo.ZONES]
    return ReferenceData(zones=zones, partners=partners)


@hookimpl
def register_reference_data(register: Callable[[ReferenceData], None]) -> None:
    register(reference_data())
