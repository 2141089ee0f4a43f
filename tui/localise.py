"""Binding descriptions in the language active when a screen is built, and numbers
written the way the operator's language writes them.

Textual merges ``BINDINGS`` when a class is created, so a ``_()`` in a class
body would freeze the language of whoever imported the module first.
Descriptions are marked with ``N_()`` instead and translated per instance.
"""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from patti.core.i18n import _


def localise_bindings(node: DOMNode) -> None:
    """Translate the descriptions of ``node``'s own copy of its bindings."""
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [
            dataclasses.replace(
                b,
                description=_(b.description) if b.description else "",
                tooltip=_(b.tooltip) if b.tooltip else "",
            )
            for b in group
        ]
        for key, group in bindings.key_to_bindings.items()
    }
