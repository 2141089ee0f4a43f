"""Project exceptions.

Every message is written for an operator: it says what is wrong and, where
possible, what to do. Front ends show ``str(error)`` as it is (a
notification in the TUI, one line on stderr with exit code 2 in the CLI).
"""

from __future__ import annotations


class PattiError(Exception):
    """Base class: anything the operator can act on."""


class ValidationError(PattiError):
    """Input that does not satisfy the model or a business rule."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(PattiError):
    """A record that does not exist (or no longer does)."""


class IntegrityError(PattiError):
    """A reference to a missing record, or a delete that would leave one dangling."""


class ConflictError(PattiError):
    """A lost update: the record changed since the caller read it."""


class TransitionError(PattiError):
    """A pact status change that its rules do not allow."""


class StoreError(PattiError):
    """Problems opening or writing the store file."""


class StoreCorruptError(StoreError):
    """The file is empty, truncated or not JSON: it is refused and never overwritten."""


class ForeignFileError(StoreError):
    """The file is valid JSON but not a patti store: refused and never overwritten."""


class NewerSchemaError(StoreError):
    """The file was written by a newer patti: opening it could lose data."""


class ReadOnlyError(StoreError):
    """A write on a store opened read-only (another instance holds the lock)."""


class StoreWriteError(StoreError):
    """A save failed before the file was replaced: the store is unchanged."""


class DurabilityUnknownError(StoreError):
    """The file was replaced but the folder could not be synced.

    The change is saved and visible, but whether it survives a power cut is
    unknown; the operator is told so rather than told it failed.
    """
