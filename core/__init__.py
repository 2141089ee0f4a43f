"""patti's domain core: models, the store and the services the front ends call."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("patti")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from .hookspecs import hookimpl
from .i18n import bilingual, bilingual_count
from .pact_types import PactType, Plan, ReportSection, Role, field_labels

__all__ = [
    "PactType",
    "Plan",
    "ReportSection",
    "Role",
    "__version__",
    "bilingual",
    "bilingual_count",
    "field_labels",
    "hookimpl",
]
