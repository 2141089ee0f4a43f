"""Turning pydantic's validation errors into sentences an operator can act on."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from .errors import ValidationError
from .i18n import N_, _

M = TypeVar("M", bound=pydantic.BaseModel)

# Pydantic's messages are English; these cover the error types our models raise.
_MESSAGES: dict[str, str] = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a known field"),
    "string_too_short": N_("cannot be empty"),
    "too_short": N_("cannot be empty"),
    "string_too_long": N_("is too long (at most {max_length} characters)"),
    "too_long": N_("is too long (at most {max_length} characters)"),
    "string_type": N_("must be text"),
    "int_parsing": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "float_type": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be greater than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "date_parsing": N_("is not a valid date (use YYYY-MM-DD or DD/MM/YYYY)"),
    "date_from_datetime_parsing": N_("is not a valid date (use YYYY-MM-DD or DD/MM/YYYY)"),
    "date_from_datetime_inexact": N_("must be a date without a time"),
    "date_type": N_("must be a date"),
    "datetime_parsing": N_("is not a valid date and time (use YYYY-MM-DD HH:MM)"),
    "datetime_from_date_parsing": N_("is not a valid date and time (use YYYY-MM-DD HH:MM)"),
    "datetime_type": N_("must be a date and time"),
    "enum": N_("must be one of: {expected}"),
    "literal_error": N_("must be one of: {expected}"),
    "list_type": N_("must be a list"),
    "dict_type": N_("must be an object"),
    "bool_parsing": N_("must be yes or no"),
    "value_error": "{message}",
    "model_type": N_("has the wrong shape"),
}


def describe_validation_error(exc: pydantic.ValidationError, *, limit: int = 3) -> str:
    """One line naming each bad field and what is wrong with it."""
    parts = []
    for error in exc.errors()[:limit]:
        parts.append(_describe_one(error))
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(_("and {n} more").format(n=more))
    return "; ".join(parts)


def _describe_one(error: Any) -> str:
    location = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
    template = _MESSAGES.get(error["type"])
    ctx = dict(error.get("ctx") or {})
    if error["type"] == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif template is None:
        message = error["msg"]
    else:
        try:
            message = _(template).format(**ctx)
        except (KeyError, IndexError):
            message = _(template)
    return f"{location}: {message}" if location else message


def validate_model(model: type[M], data: Any) -> M:
    """Validate ``data`` as ``model``, raising our :class:`ValidationError` with a readable line."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]["loc"] if exc.errors() else ()
        raise ValidationError(
            describe_validation_error(exc), field=".".join(map(str, first)) or None
        ) from exc


def validate_value(kind: Any, value: Any, field: str) -> Any:
    """Validate one value (e.g. a date typed before its record exists) as ``kind``."""
    try:
        return pydantic.TypeAdapter(kind).validate_python(value)
    except pydantic.ValidationError as exc:
        message = "; ".join(_describe_one(e) for e in exc.errors()[:1])
        raise ValidationError(
            f"{field}{message}" if message.startswith(":") else f"{field}: {message}", field=field
        ) from exc
