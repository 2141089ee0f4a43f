"""A form generated from a pact type's ``Details`` model (pydantic v2).

Each field of the model gets the input its type calls for: text, whole or
decimal number (a comma is accepted as the decimal mark), yes/no, a date
typed the Italian way (``31/12/2021``, ISO works too), a time (``09:00``),
a choice (enum or ``Literal``), or a comma-separated list of those. A field
naming a partner (``…partner_id``) has a picker that finds partners by name.
Records, and lists of records (a testimonies pact's schools, each with its
classes), are a :class:`RecordList`: one line per record, Add / Edit /
Remove, each record edited in a dialog whose form is generated the same way
from the record's model (:class:`~patti.tui.dialogs.record_editor.RecordEditor`),
so records inside records work at any depth. Anything else a plugin declares
(a dict, a union of models) is edited as JSON, checked as you type: nothing
a plugin declares is out of reach.

Labels and help come from the plugin in the active language
(:func:`patti.core.pact_types.field_labels`). Errors are shown under their
field: conversion errors as typed, then the field's own constraints
(validated alone, with its metadata), then the model's cross-field rules,
which are checked as you type too once every field reads well;
:meth:`DetailsForm.collect` returns the details only when all of them pass.
"""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import Enum, StrEnum
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from patti.core.dates import format_date, format_datetime, parse_date, parse_datetime
from patti.core.i18n import N_, _
from patti.core.pact_types import choice_label, field_help, field_label
from patti.core.services import Registry
from patti.core.validation import describe_validation_error

from ..localise import localise_bindings
from .pact_detail import NameOf, format_value
from .partner_picker import Choice, PartnerPicker


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
    RECORD = "record"  # one nested model
    RECORDS = "records"  # a list of nested models
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
    record: type[BaseModel] | None = None  # the model of a RECORD or of RECORDS' items

    @property
    def title(self) -> str:
        """The label in the active language (the plugin's, else from the name)."""
        return field_label(self.name, self.info)

    @property
    def help(self) -> str:
        return field_help(self.info)

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

    def choice_label(self, choice: Any) -> str:
        return choice_label(self.info, choice)

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


def _model(annotation: Any) -> type[BaseModel] | None:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


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
    """How to edit ``info``: a scalar input, a list of scalars, records, or JSON."""
    annotation = _strip(info.annotation)
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        annotation = _strip(members[0]) if len(members) == 1 else annotation
    scalar = _scalar(annotation)
    if scalar is not None:
        return FieldSpec(name, info, scalar[0], optional, choices=scalar[1])
    record = _model(annotation)
    if record is not None:
        return FieldSpec(name, info, Kind.RECORD, optional, record=record)
    if get_origin(annotation) in (list, set, tuple, Sequence) and get_args(annotation):
        item_type = get_args(annotation)[0]
        record = _model(item_type)
        if record is not None and get_origin(annotation) is list:
            return FieldSpec(name, info, Kind.RECORDS, optional, record=record)
        item = _scalar(item_type)
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
        shown = [_shown_scalar(spec.item or Kind.TEXT, v) for v in items]
        return ("; " if any("," in v for v in shown) else ", ").join(shown)
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
    if spec.kind is Kind.LIST:  # semicolons when an item holds a comma ("rossi, verdi; blu")
        items = [t.strip() for t in text.split(";" if ";" in text else ",") if t.strip()]
        return [parse_scalar(spec.item or Kind.TEXT, t) for t in items]
    return parse_scalar(spec.kind, text)


def faithful(spec: FieldSpec, value: Any) -> FieldSpec:
    """``spec``, or a JSON spec when its input would not give ``value`` back as it is (a
    time with seconds, a text item with a semicolon): an edit never alters what it did
    not touch."""
    if value is None or spec.kind in (Kind.BOOL, Kind.CHOICE, Kind.JSON, Kind.RECORD):
        return spec
    if spec.kind is Kind.RECORDS:
        return spec if isinstance(value, list) else replace(spec, kind=Kind.JSON)
    try:
        stored = spec.adapter.dump_python(spec.adapter.validate_python(value), mode="json")
    except pydantic.ValidationError:
        return spec  # already wrong: the form says so on save
    try:
        typed = parse_field(spec, shown_text(spec, value))
        again = spec.adapter.dump_python(spec.adapter.validate_python(typed), mode="json")
    except (Unparsed, pydantic.ValidationError):
        again = None
    return spec if again == stored else replace(spec, kind=Kind.JSON)


# -- records in one line ------------------------------------------------------------------


def record_summary(model: type[BaseModel], row: Any, name_of: NameOf) -> tuple[str, str | None]:
    """A record as one line (its partner, or its first text, then labelled values) and
    what is wrong with it (``None`` when it validates)."""
    problem: str | None = None
    try:
        record = model.model_validate(row)
        values = {name: getattr(record, name) for name in model.model_fields}
    except pydantic.ValidationError as exc:
        problem = describe_validation_error(exc)
        if not isinstance(row, dict):
            return json.dumps(row, ensure_ascii=False), problem
        values = {n: v for n, v in row.items() if n in model.model_fields}
    return _record_line(model, values, name_of), problem


def _record_line(model: type[BaseModel], values: dict[str, Any], name_of: NameOf) -> str:
    fields = model.model_fields
    values = dict(values)
    head: list[str] = []
    partner = values.pop("partner_id", None)
    if "partner_id" in fields and partner is not None:
        head.append(name_of(partner) if isinstance(partner, int) else str(partner))
    if "start" in values and "end" in values:
        start, end = values.pop("start"), values.pop("end")
        shown = [_inline("start", start, name_of), _inline("end", end, name_of)]
        head.append(shown[0] if start == end else " – ".join(shown))  # a one-day closure
    if not head:  # a record named by its first text, e.g. a class "2A"
        texts = (n for n, v in values.items() if isinstance(v, str) and v)
        first = next((n for n in texts if field_spec(n, fields[n]).kind is Kind.TEXT), None)
        if first is not None:
            head.append(values.pop(first))
    rest = [
        f"{field_label(n, fields[n])}: {_inline(n, v, name_of, fields[n])}"
        for n, v in values.items()
        if v not in (None, [], "")
    ]
    if head and rest:
        return f"{' '.join(head)} — {'; '.join(rest)}"
    return " ".join(head) or "; ".join(rest) or "–"


def _inline(name: str, value: Any, name_of: NameOf, info: FieldInfo | None = None) -> str:
    """A value inside a record's line: records in it by their first words only, choices
    by their labels."""
    if isinstance(value, BaseModel):
        line = _record_line(type(value), dict(value), name_of)
        head, dash, _rest = line.partition(" — ")
        return head if dash or ": " not in line else f"({line})"
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        return ", ".join(_inline(name, v, name_of) for v in value)
    if info is not None and value is not None:
        spec = field_spec(name, info)
        if spec.kind is Kind.CHOICE:
            return spec.choice_label(value)
        if spec.kind is Kind.LIST and spec.choices and isinstance(value, list):
            return ", ".join(spec.choice_label(v) for v in value)
    return format_value(name, value, name_of)


# -- a list of records ---------------------------------------------------------------------


class RowList(OptionList):
    """The rows of a :class:`RecordList`; Enter edits the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", N_("Edit"), id="records.edit"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localise_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return self.highlighted is not None  # not on "None yet"
        return True


class RecordList(Vertical):
    """Records of a field, one line each, with Add / Edit / Remove.

    A list field holds any number of records; a single record field (``one``)
    holds at most one, and can be removed only when the field is optional.
    Each record is edited in a :class:`RecordEditor` dialog generated from
    ``spec.record``; what it returns has passed the record's own validation.
    """

    DEFAULT_CSS = """
    RecordList {
        height: auto;
        width: 1fr;
    }
    RecordList > RowList, RecordList > RowList:focus {
        height: auto;
        max-height: 8;
        border: none;
        border-left: blank;
        padding: 0;
    }
    RecordList > RowList:focus {
        border-left: outer $accent;
    }
    RecordList > Horizontal {
        height: auto;
    }
    RecordList > Horizontal > Button {
        margin: 0 1 0 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add"), id="records.add"),
        Binding("insert", "add", N_("Add"), show=False, id="records.add-insert"),
        Binding("delete", "remove", N_("Remove"), id="records.remove"),
        Binding("backspace", "remove", N_("Remove"), show=False, id="records.remove-bs"),
    ]

    @dataclass
    class Changed(Message):
        """A record was added, changed or removed."""

        records: RecordList

        @property
        def control(self) -> RecordList:
            return self.records

    def __init__(
        self,
        spec: FieldSpec,
        value: Any,
        name_of: NameOf,
        partners: Sequence[Choice] | None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        localise_bindings(self)
        assert spec.record is not None
        self.spec = spec
        self.model: type[BaseModel] = spec.record
        self.one = spec.kind is Kind.RECORD
        self.name_of = name_of
        self.partners = partners
        self.rows: list[Any] | None
        if self.one:
            self.rows = [copy.deepcopy(value)] if value is not None else []
        elif isinstance(value, list):
            self.rows = copy.deepcopy(value)
        else:
            self.rows = None if spec.optional and value is None else []

    @property
    def value(self) -> Any:
        """The records as JSON values: a list, a record (``one``), or ``None``."""
        if self.one:
            return copy.deepcopy(self.rows[0]) if self.rows else None
        return copy.deepcopy(self.rows)

    def compose(self) -> ComposeResult:
        base = self.id or "records"
        yield RowList(id=f"{base}-rows")
        with Horizontal():
            for action, label in (("add", _("Add")), ("edit", _("Edit")), ("remove", _("Remove"))):
                button = Button(label, id=f"{base}-{action}", compact=True)
                button.can_focus = False  # for the mouse: keys act on the list (one Tab stop)
                yield button

    def on_mount(self) -> None:
        self.show_rows()

    @property
    def row_list(self) -> RowList:
        return self.query_one(RowList)

    def show_rows(self, highlight: int | None = None) -> None:
        """Fill the list from :attr:`rows`: a bad record is marked ✗ and says why."""
        rows = self.rows or []
        listing = self.row_list
        listing.clear_options()
        for row in rows:
            line, problem = record_summary(self.model, row, self.name_of)
            if problem is None:
                listing.add_option(Option(Content(line)))
            else:
                shown = Content.assemble(
                    ("✗ ", "bold $text-error"), line, " ", (problem, "$text-error")
                )
                listing.add_option(Option(shown))
        if not rows:
            listing.add_option(Option(Content(_("None yet: press A to add one.")), disabled=True))
        elif highlight is not None:
            listing.highlighted = min(max(highlight, 0), len(rows) - 1)
        else:
            listing.highlighted = 0
        base = self.id or "records"
        full = self.one and bool(rows)
        self.query_one(f"#{base}-add", Button).display = not full
        self.query_one(f"#{base}-edit", Button).display = bool(rows)
        removable = bool(rows) and (not self.one or self.spec.optional)
        self.query_one(f"#{base}-remove", Button).display = removable

    @property
    def current(self) -> int | None:
        """The index of the highlighted record, if any."""
        index = self.row_list.highlighted
        if self.rows and index is not None and 0 <= index < len(self.rows):
            return index
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return not (self.one and self.rows)
        if action == "remove":
            return self.current is not None and (not self.one or self.spec.optional)
        return True

    # -- editing ------------------------------------------------------------------------

    def action_add(self) -> None:
        if self.one and self.rows:
            return
        self.edit(None)

    def action_remove(self) -> None:
        index = self.current
        if index is None or self.rows is None or (self.one and not self.spec.optional):
            return
        del self.rows[index]
        self._changed(index)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.edit(self.current)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").rpartition("-")[2]
        if action == "add":
            self.action_add()
        elif action == "edit" and self.current is not None:
            self.edit(self.current)
        elif action == "remove":
            self.action_remove()

    def edit(self, index: int | None) -> None:
        """Open the record at ``index`` (a new one for ``None``) in its dialog."""
        from ..dialogs.record_editor import RecordEditor  # the dialog holds a DetailsForm

        rows = self.rows or []
        if index is None:
            values = default_values(self.model)
            title = _("{field}: new entry").format(field=self.spec.title)
        else:
            row = rows[index]
            values = copy.deepcopy(row) if isinstance(row, dict) else {}
            title = _("{field}: entry {n} of {count}").format(
                field=self.spec.title, n=index + 1, count=len(rows)
            )

        def done(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            if self.rows is None:
                self.rows = []
            if index is None:
                self.rows.append(result)
                self._changed(len(self.rows) - 1)
            else:
                self.rows[index] = result
                self._changed(index)

        editor = RecordEditor(self.model, values, title, self.name_of, self.partners)
        self.app.push_screen(editor, done)

    def _changed(self, highlight: int) -> None:
        self.show_rows(highlight)
        self.post_message(self.Changed(self))


# -- the form -----------------------------------------------------------------------------


def input_id(name: str) -> str:
    return f"detail-{name}"


def partner_choices(registry: Registry) -> list[Choice]:
    """Every partner, for the pickers of ``…partner_id`` fields."""
    return [Choice(p.id or 0, p.name, p.kind.label) for p in registry.list_partners()]


class DetailsForm(Vertical):
    """Inputs for every field of ``model``, filled from ``values`` (JSON, as stored).

    ``partners`` are the choices of the partner pickers; by default the form
    reads them from the app's ``registry`` when it needs them.
    """

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
    DetailsForm .form-row > Input.partner-id {
        width: 10;
        margin: 0 0 0 1;
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
        partners: Sequence[Choice] | None = None,
    ) -> None:
        super().__init__(id=id)
        self.model = model
        self.specs = [faithful(s, values.get(s.name)) for s in model_specs(model)]
        self.values = values
        self.name_of = name_of
        self.partners = partners

    def _partners(self) -> Sequence[Choice]:
        if self.partners is None:
            registry = getattr(self.app, "registry", None)
            self.partners = partner_choices(registry) if isinstance(registry, Registry) else []
        return self.partners

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            with Horizontal(classes="form-row"):
                mark = " *" if spec.required else ""
                yield Label(Content(spec.title + mark), classes="form-label")
                yield from self._widgets(spec)
            hint = spec.help
            if spec.kind is Kind.DATE:
                hint = f"{hint} ({_('DD/MM/YYYY')})".strip()
            elif spec.kind is Kind.LIST:
                example = {Kind.DATE: _("DD/MM/YYYY"), Kind.TIME: _("HH:MM")}.get(
                    spec.item or Kind.TEXT
                )
                separate = (
                    _("separate with commas, or semicolons when an item has a comma")
                    if spec.item is Kind.TEXT
                    else _("separate with commas")
                )
                hint = f"{hint} ({separate}{', ' + example if example else ''})".strip()
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

    def _widgets(self, spec: FieldSpec) -> ComposeResult:
        value = self.values.get(spec.name)
        wid = input_id(spec.name)
        if spec.kind is Kind.BOOL:
            yield Checkbox("", bool(value), id=wid, compact=True)
        elif spec.kind is Kind.CHOICE:
            options = [(Text(spec.choice_label(c)), _choice_value(c)) for c in spec.choices]
            current = value if value in {v for _l, v in options} else Select.NULL
            yield Select(options, value=current, allow_blank=True, prompt="–", id=wid)
        elif spec.kind in (Kind.RECORD, Kind.RECORDS):
            yield RecordList(spec, value, self.name_of, self.partners, id=wid)
        elif spec.kind is Kind.JSON:
            yield TextArea(shown_text(spec, value), id=wid, soft_wrap=True, tab_behavior="focus")
        elif spec.names_a_partner and self._partners():
            yield PartnerPicker(
                self._partners(),
                placeholder=_("type a partner's name, Enter chooses it"),
                id=f"{wid}-picker",
            )
            yield Input(
                shown_text(spec, value),
                placeholder=_("id"),
                id=wid,
                compact=True,
                classes="partner-id",
            )
        else:
            placeholder = {
                Kind.DATE: _("DD/MM/YYYY"),
                Kind.DATETIME: _("DD/MM/YYYY HH:MM"),
                Kind.TIME: _("HH:MM"),
            }.get(spec.kind, "")
            yield Input(shown_text(spec, value), placeholder=placeholder, id=wid, compact=True)

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
            if isinstance(widget, Checkbox | Select | RecordList):
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
        if spec.kind in (Kind.RECORD, Kind.RECORDS):
            if raw is None:
                return (True, None) if spec.optional else (False, None)
            return True, raw
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

    def _fields(self, *, show: bool) -> dict[str, Any] | None:
        """Each field converted and validated alone; ``None`` when one fails (and, with
        ``show``, its error is shown under it; quietly otherwise, as for live checks)."""
        raw = self.raw()
        data: dict[str, Any] = {}
        failed = False
        for spec in self.specs:
            try:
                present, value = self._converted(spec, raw[spec.name])
            except Unparsed as exc:
                if show:
                    self.show_error(spec.name, str(exc))
                failed = True
                continue
            if not present:
                if spec.required:
                    if show:
                        self.show_error(spec.name, _("is required"))
                    failed = True
                continue
            try:
                spec.adapter.validate_python(value)
            except pydantic.ValidationError as exc:
                if show:
                    self.show_error(spec.name, describe_validation_error(exc))
                failed = True
                continue
            data[spec.name] = value
        return None if failed else data

    def collect(self) -> dict[str, Any] | None:
        """The details as JSON values, or ``None`` with errors shown under their fields."""
        self.clear_errors()
        data = self._fields(show=True)
        if data is None:
            return None
        try:
            model = self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            for name, message in self._by_field(exc).items():
                self.show_error(name, message)
            return None
        return dict(model.model_dump(mode="json"))

    def _by_field(self, exc: pydantic.ValidationError) -> dict[str, str]:
        """The model's errors under their fields (a field validator's, whose message needs
        no field name there), the rest (rules across fields) under the form: ``""``."""
        names = {s.name for s in self.specs}
        grouped: dict[str, list[Any]] = {}
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            field = str(loc[0]) if loc and loc[0] in names else ""
            details: dict[str, Any] = {"type": error["type"], "loc": loc[1:] if field else loc}
            details["input"] = error.get("input")
            if "ctx" in error:
                details["ctx"] = error["ctx"]
            grouped.setdefault(field, []).append(details)
        return {
            field: describe_validation_error(
                pydantic.ValidationError.from_exception_data(exc.title, errors)
            )
            for field, errors in grouped.items()
        }

    def check_rules(self) -> None:
        """Show what the model's own validators say once every field reads well: "a period
        cannot end before it starts" appears as the second date is typed. "Is required"
        waits for the save."""
        self._clear("")
        data = self._fields(show=False)
        if data is None:
            return
        try:
            self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            for name, message in self._by_field(exc).items():
                self.show_error(name, message)

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
        """Each field is checked as typed (a date, a number, its limits): the message goes
        as soon as it is right."""
        spec = self._spec_of(event.input.id)
        if spec is None:
            return
        try:
            present, value = self._converted(spec, event.value)
            if present and value is not None:
                spec.adapter.validate_python(value)
        except Unparsed as exc:
            self.show_error(spec.name, str(exc))
        except pydantic.ValidationError as exc:
            self.show_error(spec.name, describe_validation_error(exc))
        else:
            self._clear(spec.name)
        if spec.summarised:
            self._summarise(spec)
        self.check_rules()

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _chosen(self, event: Select.Changed | Checkbox.Changed) -> None:
        if self._spec_of(event.control.id) is not None:
            self.check_rules()

    @on(RecordList.Changed)
    def _records_changed(self, event: RecordList.Changed) -> None:
        event.stop()
        spec = self._spec_of(event.records.id)
        if spec is not None:
            self._clear(spec.name)
            self.check_rules()

    @on(PartnerPicker.Picked)
    def _partner_picked(self, event: PartnerPicker.Picked) -> None:
        """A partner chosen by name: its id goes in the field (whose summary names it)."""
        event.stop()
        field = (event.picker.id or "").removesuffix("-picker")
        found = self.query(f"#{field}")
        if found:
            target = found.first(Input)
            target.value = str(event.choice.partner_id)
            event.picker.clear()
            self.screen.set_focus(target)
            self.screen.focus_next()  # on to the next field: the id is there to be seen

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


__all__ = [
    "DetailsForm",
    "FieldSpec",
    "Kind",
    "RecordList",
    "default_values",
    "field_spec",
    "model_specs",
    "record_summary",
]
