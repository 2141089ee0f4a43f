"""Modal dialogs of the operator UI (confirmations, editors)."""
