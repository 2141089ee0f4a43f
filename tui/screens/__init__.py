"""Screens of the operator UI."""

from .pacts import PactsScreen

__all__ = ["PactsScreen"]
