"""Reusable widgets of the operator UI."""

from .banner import ReadOnlyBanner
from .pact_detail import PactDetail

__all__ = ["PactDetail", "ReadOnlyBanner"]
