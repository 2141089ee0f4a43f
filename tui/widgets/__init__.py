"""Reusable widgets of the operator UI."""

from .banner import ReadOnlyBanner
from .pact_detail import PactDetail
from .paged_table import Column, PagedTable

__all__ = ["Column", "PactDetail", "PagedTable", "ReadOnlyBanner"]
