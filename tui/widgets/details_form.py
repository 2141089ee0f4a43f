"""A form generated from a pact type's ``Details`` model (pydantic v2).

Each field of the model gets the input its type calls for: text, whole or
decimal number (a comma is accepted as the decimal mark), yes/no, a date
typed the Italian way (``31/12/2021``, ISO works too), a time (``09:00``),
a choice (enum or ``Literal``), or a comma-separated list of those. Nested
records and lists of records (a testimonies pact's schools and classes) are
edited as JSON in a text area, checked as you type and summarised in words
under it, partners by name: honest rather than clever, and nothing a plugin
declares is out of reach.

Errors are shown under their field: conversion errors as typed, then the
field's own constraints (validated alone, with its metadata), then the
model's cross-field rules; :meth:`DetailsForm.collect` returns the details
only when all of them pass.
"""

from __future__ import annotations

import json
import types
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum, StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from patti.core.dates import format_date, format_datetime, parse_date, parse_datetime
from patti.core.i18n import _
from patti.core.validation import describe_validation_error

from .pact_detail import NameOf, field_title, format_value


class Kind(StrEnum):
    """How a field is edited."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    CHOICE = "choice"
    LIST = "list"
    JSON = "json"


@dataclass(frozen=True)
class FieldSpec:
    """One field of the model and how the form edits it."""

    name: str
    info: FieldInfo
    kind: Kind
    optional: bool = False
    item: Kind | None = None  # the kind of a list's items
    choices: tuple[Any, ...] = ()  # allowed values of a choice (or of a list's items)

    @property
    def title(self) -> str:
        return field_title(self.name, self.info)

    @property
    def names_a_partner(self) -> bool:
        """A whole number named ``…partner_id``: the form shows whose id it is."""
        return self.kind is Kind.INT and self.name.endswith("partner_id")

    @property
    def summarised(self) -> bool:
        return self.kind is Kind.JSON or self.names_a_partner

    @property
    def required(self) -> bool:
        return self.info.is_required()

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """Validates this field alone, with its constraints (``ge``, ``min_length``…)."""
        annotation: Any = self.info.annotation
        if self.info.metadata:
            annotation = Annotated[(annotation, *self.info.metadata)]
        return TypeAdapter(annotation)


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _scalar(annotation: Any) -> tuple[Kind, tuple[Any, ...]] | None:
    """The kind of a scalar type (and its choices), or ``None`` when it is not one."""
    annotation = _strip(annotation)
    if get_origin(annotation) is Literal:
        return Kind.CHOICE, get_args(annotation)
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, Enum):
        return Kind.CHOICE, tuple(annotation)
    for base, kind in (
        (bool, Kind.BOOL),  # before int: bool is an int
        (int, Kind.INT),
        (float, Kind.FLOAT),
        (str, Kind.TEXT),
        (datetime, Kind.DATETIME),  # before date: datetime is a date
        (date, Kind.DATE),
        (time, Kind.TIME),
    ):
        if issubclass(annotation, base):
            return kind, ()
    return None


def field_spec(name: str, info: FieldInfo) -> FieldSpec:
    """How to edit ``info``: a scalar input, a list of scalars, or JSON."""
    annotation = _strip(info.annotation)
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        annotation = _strip(members[0]) if len(members) == 1 else annotation
    scalar = _scalar(annotation)
    if scalar is not None:
        return FieldSpec(name, info, scalar[0], optional, choices=scalar[1])
    if get_origin(annotation) in (list, set, tuple, Sequence) and get_args(annotation):
        item = _scalar(get_args(annotation)[0])
        if item is not None and item[0] is not Kind.BOOL:
            return FieldSpec(name, info, Kind.LIST, optional, item=item[0], choices=item[1])
    return FieldSpec(name, info, Kind.JSON, optional)


def model_specs(model: type[BaseModel]) -> list[FieldSpec]:
    return [field_spec(name, info) for name, info in model.model_fields.items()]


def default_values(model: type[BaseModel]) -> dict[str, Any]:
    """The model's defaults as JSON values (what a new pact's form starts from)."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        try:
            default = info.get_default(call_default_factory=True, validated_data={})
            values[name] = TypeAdapter(Any).dump_python(default, mode="json")
        except Exception:  # a factory that needs other fields: the model fills it in
            continue
    return values


def shape_hint(annotation: Any, depth: int = 0) -> str:
    """What the items of a JSON field look like: ``partner_id, classes (label, grade…)``."""
    annotation = _strip(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = _strip(members[0]) if members else annotation
    if get_origin(annotation) in (list, set, tuple) and get_args(annotation):
        return shape_hint(get_args(annotation)[0], depth)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and depth < 2:
        parts = []
        for name, info in annotation.model_fields.items():
            inner = shape_hint(info.annotation, depth + 1)
            mark = "*" if info.is_required() else ""
            parts.append(f"{name}{mark} ({inner})" if inner else f"{name}{mark}")
        return ", ".join(parts)
    return ""


# -- from JSON values to what is typed, and back ----------------------------------------


def _shown_scalar(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    try:
        if kind is Kind.DATE:
            return format_date(date.fromisoformat(str(value)))
        if kind is Kind.DATETIME:
            return format_datetime(datetime.fromisoformat(str(value)))
        if kind is Kind.TIME:
            return time.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shown_text(spec: FieldSpec, value: Any) -> str:
    """What the field's input shows for the stored JSON ``value``."""
    if spec.kind is Kind.JSON:
        return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
    if spec.kind is Kind.LIST:
        items = value if isinstance(value, list) else []
        return ", ".join(_shown_scalar(spec.item or Kind.TEXT, v) for v in items)
    return _shown_scalar(spec.kind, value)


class Unparsed(ValueError):
    """What was typed cannot be read as the field's type."""


def parse_scalar(kind: Kind, text: str) -> Any:
    """Typed text as a value of ``kind``; :class:`Unparsed` with a sentence otherwise."""
    text = text.strip()
    try:
        if kind is Kind.INT:
            return int(text)
        if kind is Kind.FLOAT:
            return float(text.replace(",", "."))
        if kind is Kind.DATE:
            return parse_date(text)
        if kind is Kind.DATETIME:
            return parse_datetime(text)
        if kind is Kind.TIME:
            hour, _sep, minute = text.replace(".", ":").partition(":")
            return time(int(hour), int(minute or 0))
    except ValueError as exc:
        message = {
            Kind.INT: _("must be a whole number"),
            Kind.FLOAT: _("must be a number"),
            Kind.TIME: _("{value!r} is not a time of day (use HH:MM)").format(value=text),
        }.get(kind, str(exc))
        raise Unparsed(message) from None
    return text


def parse_field(spec: FieldSpec, text: str) -> Any:
    """The value to validate for what was typed in a text-like field."""
    if spec.kind is Kind.JSON:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise Unparsed(
                _("not valid JSON (line {line}, column {column}): {problem}").format(
                    line=exc.lineno, column=exc.colno, problem=exc.msg
                )
            ) from None
    if spec.kind is Kind.LIST:
        items = [t.strip() for t in text.split(",") if t.strip()]
        return [parse_scalar(spec.item or Kind.TEXT, t) for t in items]
    return parse_scalar(spec.kind, text)


# -- the form -----------------------------------------------------------------------------


def input_id(name: str) -> str:
    return f"detail-{name}"


class DetailsForm(Vertical):
    """Inputs for every field of ``model``, filled from ``values`` (JSON, as stored)."""

    DEFAULT_CSS = """
    DetailsForm {
        height: auto;
    }
    DetailsForm .form-row {
        height: auto;
    }
    DetailsForm .form-label {
        width: 24;
        padding: 0 1 0 0;
        text-style: bold;
    }
    DetailsForm .form-row > Input, DetailsForm .form-row > Select {
        width: 1fr;
    }
    DetailsForm TextArea {
        height: 8;
        width: 1fr;
    }
    DetailsForm .form-hint {
        color: $text-muted;
        padding: 0 0 0 24;
    }
    DetailsForm .form-summary {
        padding: 0 0 0 24;
    }
    DetailsForm .form-error {
        color: $text-error;
        padding: 0 0 0 24;
        display: none;
    }
    DetailsForm .form-error.-shown {
        display: block;
    }
    """

    def __init__(
        self,
        model: type[BaseModel],
        values: dict[str, Any],
        name_of: NameOf,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.model = model
        self.specs = model_specs(model)
        self.values = values
        self.name_of = name_of

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            with Horizontal(classes="form-row"):
                mark = " *" if spec.required else ""
                yield Label(Content(spec.title + mark), classes="form-label")
                yield self._widget(spec)
            hint = spec.info.description or ""
            if spec.kind is Kind.DATE:
                hint = f"{hint} ({_('DD/MM/YYYY')})".strip()
            elif spec.kind is Kind.LIST:
                hint = f"{hint} ({_('separate with commas')})".strip()
            elif spec.kind is Kind.JSON:
                shape = shape_hint(spec.info.annotation)
                hint = f"{hint} JSON" + (f": {shape}" if shape else "")
            if hint:
                yield Static(Content(hint), classes="form-hint")
            if spec.summarised:
                yield Static(id=f"{input_id(spec.name)}-summary", classes="form-summary")
            yield Static(id=f"{input_id(spec.name)}-error", classes="form-error")
        # rules across fields (a model validator) have no field of their own
        yield Static(id=f"{input_id('')}-error", classes="form-error")

    def _widget(self, spec: FieldSpec) -> Widget:
        value = self.values.get(spec.name)
        wid = input_id(spec.name)
        if spec.kind is Kind.BOOL:
            return Checkbox("", bool(value), id=wid, compact=True)
        if spec.kind is Kind.CHOICE:
            options = [(Text(_choice_label(c)), _choice_value(c)) for c in spec.choices]
            current = value if value in {v for _l, v in options} else Select.NULL
            return Select(options, value=current, allow_blank=True, prompt="–", id=wid)
        if spec.kind is Kind.JSON:
            return TextArea(shown_text(spec, value), id=wid, soft_wrap=True, tab_behavior="focus")
        placeholder = {
            Kind.DATE: _("DD/MM/YYYY"),
            Kind.DATETIME: _("DD/MM/YYYY HH:MM"),
            Kind.TIME: _("HH:MM"),
        }.get(spec.kind, "")
        return Input(shown_text(spec, value), placeholder=placeholder, id=wid, compact=True)

    def on_mount(self) -> None:
        for spec in self.specs:
            if spec.summarised:
                self._summarise(spec)

    # -- reading the inputs ------------------------------------------------------------

    def raw(self) -> dict[str, Any]:
        """What the inputs hold now, as typed (to tell whether anything changed)."""
        state: dict[str, Any] = {}
        for spec in self.specs:
            widget = self.query_one(f"#{input_id(spec.name)}")
            if isinstance(widget, Checkbox | Select):
                state[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                state[spec.name] = widget.text
            elif isinstance(widget, Input):
                state[spec.name] = widget.value
        return state

    def _converted(self, spec: FieldSpec, raw: Any) -> tuple[bool, Any]:
        """``(present, value)``: an empty input means the default (or ``None``/missing)."""
        if spec.kind is Kind.BOOL:
            return True, bool(raw)
        empty = raw is Select.NULL or (isinstance(raw, str) and not raw.strip())
        if empty:
            if spec.optional:
                return True, None
            if spec.kind is Kind.LIST and not spec.required:
                return True, []
            return False, None
        if spec.kind is Kind.CHOICE:
            return True, raw
        return True, parse_field(spec, str(raw))

    def collect(self) -> dict[str, Any] | None:
        """The details as JSON values, or ``None`` with errors shown under their fields."""
        self.clear_errors()
        data: dict[str, Any] = {}
        failed = False
        for spec, raw in zip(self.specs, self.raw().values(), strict=True):
            try:
                present, value = self._converted(spec, raw)
            except Unparsed as exc:
                self.show_error(spec.name, str(exc))
                failed = True
                continue
            if not present:
                if spec.required:
                    self.show_error(spec.name, _("is required"))
                    failed = True
                continue
            try:
                spec.adapter.validate_python(value)
            except pydantic.ValidationError as exc:
                self.show_error(spec.name, describe_validation_error(exc))
                failed = True
                continue
            data[spec.name] = value
        if failed:
            return None
        try:
            model = self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            names = {s.name for s in self.specs}
            for error in exc.errors():
                loc = error.get("loc", ())
                if error["type"] == "missing" and len(loc) == 1 and loc[0] in names:
                    self.show_error(str(loc[0]), _("is required"))
            self.show_error("", describe_validation_error(exc))
            return None
        return dict(model.model_dump(mode="json"))

    # -- errors ---------------------------------------------------------------------------

    def show_error(self, name: str, message: str) -> None:
        found = self.query(f"#{input_id(name)}-error")
        if found:
            error = found.first(Static)
            error.update(Content(message))
            error.add_class("-shown")

    def clear_errors(self) -> None:
        for error in self.query(".form-error").results(Static):
            error.update("")
            error.remove_class("-shown")

    def field_names(self) -> set[str]:
        return {s.name for s in self.specs}

    # -- live feedback ----------------------------------------------------------------

    @on(Input.Changed)
    def _check_typed(self, event: Input.Changed) -> None:
        """Dates and numbers are checked as typed: the message goes as soon as it is right."""
        spec = self._spec_of(event.input.id)
        if spec is None:
            return
        try:
            self._converted(spec, event.value)
        except Unparsed as exc:
            self.show_error(spec.name, str(exc))
        else:
            self._clear(spec.name)
        if spec.summarised:
            self._summarise(spec)

    @on(TextArea.Changed)
    def _json_changed(self, event: TextArea.Changed) -> None:
        spec = self._spec_of(event.text_area.id)
        if spec is not None:
            self._summarise(spec)

    def _spec_of(self, widget_id: str | None) -> FieldSpec | None:
        return next((s for s in self.specs if input_id(s.name) == widget_id), None)

    def _clear(self, name: str) -> None:
        found = self.query(f"#{input_id(name)}-error")
        if found:
            error = found.first(Static)
            error.update("")
            error.remove_class("-shown")

    def _summarise(self, spec: FieldSpec) -> None:
        """The JSON field in words (partners by name), or what is wrong with it."""
        summary = self.query_one(f"#{input_id(spec.name)}-summary", Static)
        widget = self.query_one(f"#{input_id(spec.name)}")
        text = widget.text if isinstance(widget, TextArea) else getattr(widget, "value", "")
        if not text.strip():
            summary.update(Content(""))
            return
        try:
            value = spec.adapter.validate_python(parse_field(spec, text))
        except Unparsed as exc:  # shown under a JSON field; a number has its error line
            summary.update(
                Content.styled(str(exc), "$text-error") if spec.kind is Kind.JSON else ""
            )
            return
        except pydantic.ValidationError as exc:
            summary.update(Content.styled(describe_validation_error(exc), "$text-error"))
            return
        shown = format_value(spec.name, value, self.name_of).strip("\n")
        summary.update(Content(shown))


def _choice_value(choice: Any) -> Any:
    return choice.value if isinstance(choice, Enum) else choice


def _choice_label(choice: Any) -> str:
    if isinstance(choice, Enum):
        return str(getattr(choice, "label", choice.value))
    return str(choice)
