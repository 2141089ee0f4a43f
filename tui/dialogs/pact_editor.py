"""Create or edit a pact: common fields, members with roles, the type's own fields.

A new pact starts from a template (a registered pact type, chosen in
:class:`TemplatePicker`): its default themes are chosen, its roles are
the choices for members and its ``Details`` model generates the last part
of the form (:class:`~patti.tui.widgets.details_form.DetailsForm`).

Ctrl+S saves through ``Registry.create_pact``/``update_pact``. Typed input is
checked first (dates as ``31/12/2021``, numbers, the type's fields) and each
problem is shown under its field; the services then check everything again
and a refusal (:class:`~patti.core.errors.ValidationError` names its field)
is shown the same way: nothing is saved until all of it passes. Escape with
unsaved changes asks before throwing them away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from patti.core.dates import format_date, parse_date
from patti.core.errors import PattiError, ValidationError
from patti.core.i18n import N_, _
from patti.core.model import Pact, PartnerKind
from patti.core.pact_types import PactType, Role
from patti.core.services import Registry
from patti.core.text import clean_text

from ..localise import localise_bindings
from ..widgets.details_form import DetailsForm, default_values
from ..widgets.label_picker import LabelPicker, theme_items, zone_items
from ..widgets.pact_detail import pact_type_of, partner_namer, role_label
from ..widgets.partner_detail import reference_data
from ..widgets.partner_picker import Choice, PartnerPicker

#: Common one-line fields, in the order of the form: (name, label). Zones and themes
#: are picked by label from the reference data; the others are typed.
LINE_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", N_("Title")),
    ("code", N_("Code")),
    ("year", N_("Year")),
    ("start", N_("Start")),
    ("end", N_("End")),
    ("zones", N_("Zones")),
    ("themes", N_("Themes")),
    ("target_groups", N_("Target groups")),
)
#: The one-line fields picked by label (the pact keeps their slugs).
PICKED_FIELDS = ("zones", "themes")
#: Common fields typed in text areas: objectives one per line, and free notes.
BLOCK_FIELDS: tuple[tuple[str, str], ...] = (
    ("objectives", N_("Objectives")),
    ("notes", N_("Notes")),
)
COMMON = {name for name, _label in LINE_FIELDS + BLOCK_FIELDS} | {"type"}

#: Roles offered when the pact's type is not registered (no plugins): free slugs.
FALLBACK_ROLES = ("partner", "lead", "promoter", "host")


def kind_label(kind: str) -> str:
    """A partner kind's label; a kind patti does not know (a plugin's) as it is."""
    try:
        return PartnerKind(kind).label
    except ValueError:
        return kind


def split_list(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


# -- small dialogs -----------------------------------------------------------------------


class TemplatePicker(ModalScreen[str | None]):
    """Choose the pact type a new pact starts from."""

    DEFAULT_CSS = """
    TemplatePicker {
        align: center middle;
    }
    TemplatePicker > Vertical {
        width: 90;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    TemplatePicker OptionList {
        height: auto;
        max-height: 24;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="template.cancel"),
    ]

    def __init__(self, pact_types: dict[str, type[PactType]]) -> None:
        super().__init__()
        localise_bindings(self)
        self.pact_types = pact_types

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("New pact: choose the template")
            options = []
            for name, pact_type in sorted(self.pact_types.items(), key=lambda i: i[1].label()):
                label = Text(pact_type.label(), style="bold")
                description = clean_text(pact_type.description())
                if description:
                    label.append(f"\n{description}", style="dim")
                options.append(Option(label, id=name))
            yield OptionList(*options, id="template-options")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDiscard(ModalScreen[bool]):
    """Asks "discard the unsaved changes?": ``True`` to discard, ``False`` to keep editing."""

    DEFAULT_CSS = """
    ConfirmDiscard {
        align: center middle;
    }
    ConfirmDiscard > Vertical {
        width: 64;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmDiscard Horizontal {
        height: auto;
        margin: 1 0 0 0;
    }
    ConfirmDiscard Button {
        margin: 0 2 0 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "keep", N_("Keep editing"), id="discard.keep"),
        Binding("y", "discard", N_("Discard changes"), id="discard.yes"),
    ]

    def __init__(self) -> None:
        super().__init__()
        localise_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(_("This pact has unsaved changes. Discard them?")))
            with Horizontal():
                yield Button(_("Keep editing"), id="keep", variant="primary")
                yield Button(_("Discard changes"), id="discard", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "discard")

    def action_keep(self) -> None:
        self.dismiss(False)

    def action_discard(self) -> None:
        """``y``, as in the other editors' discard questions (Enter keeps editing)."""
        self.dismiss(True)


class MemberList(OptionList):
    """The pact's members; Delete removes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete", "remove", N_("Remove member"), id="members.remove"),
        Binding("backspace", "remove", N_("Remove member"), show=False, id="members.remove-bs"),
    ]

    @dataclass
    class Remove(Message):
        """Remove the member at ``index``."""

        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localise_bindings(self)

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Remove(self.highlighted))


# -- the editor ----------------------------------------------------------------------------


class PactEditor(ModalScreen[Pact | None]):
    """The form of one pact (new when ``pact`` is ``None``); dismisses with the saved pact.

    ``zones`` and ``themes`` are slugs found in the stored pacts: offered with
    the reference data's (a slug it does not name is offered as it is).
    """

    DEFAULT_CSS = """
    PactEditor {
        align: center middle;
    }
    PactEditor > #editor {
        width: 100%;
        height: 100%;
        border: thick $primary;
        background: $surface;
    }
    PactEditor #editor-heading {
        padding: 0 1;
        height: auto;
    }
    PactEditor #editor-form {
        padding: 0 1;
    }
    PactEditor .form-section {
        text-style: bold underline;
        margin: 1 0 0 0;
    }
    PactEditor .form-row {
        height: auto;
    }
    PactEditor .form-label {
        width: 24;
        padding: 0 1 0 0;
        text-style: bold;
    }
    PactEditor .form-row > Input, PactEditor .form-row > PartnerPicker,
    PactEditor .form-row > LabelPicker {
        width: 1fr;
    }
    PactEditor #editor-form > .form-row > TextArea {
        width: 1fr;
        height: 5;
    }
    PactEditor #member-role {
        width: 36;
    }
    PactEditor #member-role > SelectOverlay {
        max-height: 8;  /* the room the member picker keeps below its row */
    }
    PactEditor #member-list {
        height: auto;
        max-height: 10;
        margin: 0 0 0 24;
    }
    PactEditor .form-hint {
        color: $text-muted;
        padding: 0 0 0 24;
    }
    PactEditor .form-error {
        color: $text-error;
        padding: 0 0 0 24;
        display: none;
    }
    PactEditor .form-error.-shown {
        display: block;
    }
    PactEditor #editor-error {
        padding: 0 1;
        background: $error 20%;
    }
    PactEditor #remove-member {
        margin: 0 0 0 24;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="editor.save", priority=True),
        Binding("escape", "close", N_("Close"), id="editor.close"),
    ]

    #: The banner on top only points at the fields in red (not a refusal): it goes with them.
    _fields_banner = False

    def __init__(
        self,
        registry: Registry,
        *,
        pact: Pact | None = None,
        type_name: str | None = None,
        zones: Sequence[str] = (),
        themes: Sequence[str] = (),
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self.pact = pact
        self.known_zones = zones
        self.known_themes = themes
        self.type_name = pact.type if pact is not None else (type_name or "")
        self.pact_type = pact_type_of(registry, self.type_name) if self.type_name else None
        self.name_of = partner_namer(registry)
        self.members: list[dict[str, Any]] = (
            [m.model_dump() for m in pact.members] if pact is not None else []
        )
        self._clean_state: tuple[Any, ...] | None = None

    @property
    def is_new(self) -> bool:
        return self.pact is None

    # -- building the form -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="editor") as box:
            box.border_title = _("New pact") if self.is_new else _("Edit pact")
            yield Static(self._heading(), id="editor-heading")
            yield Static(id="editor-error", classes="form-error")
            with VerticalScroll(id="editor-form"):
                yield from self._common_fields()
                yield from self._member_fields()
                yield from self._details_fields()
        yield Footer()

    def _heading(self) -> Content:
        type_label = self.pact_type.label() if self.pact_type else self.type_name
        if self.pact is None:
            parts: list[str | tuple[str, str]] = [(type_label or _("New pact"), "bold")]
            if self.pact_type is not None and self.pact_type.description():
                parts.extend(["\n", (clean_text(self.pact_type.description()), "dim")])
        else:
            parts = [
                (self.pact.code, "bold"),
                "  ",
                type_label,
                "  ",
                (self.pact.status.label, "italic"),
            ]
        return Content.assemble(*parts)

    def _initial(self) -> dict[str, str]:
        pact = self.pact
        if pact is None:
            return {}
        return {
            "title": pact.title,
            "code": pact.code,
            "year": str(pact.year),
            "start": format_date(pact.start),
            "end": format_date(pact.end),
            "target_groups": ", ".join(pact.target_groups),
            "objectives": "\n".join(pact.objectives),
            "notes": pact.notes,
        }

    def _pickers(self) -> dict[str, LabelPicker]:
        """Zones and themes by label; a new pact starts with its template's default themes."""
        pact = self.pact
        if pact is not None:
            zones, themes = list(pact.zones), list(pact.themes)
        else:
            zones = []
            themes = list(self.pact_type.default_themes) if self.pact_type else []
        reference = reference_data(self.registry)
        return {
            "zones": LabelPicker(
                zone_items(reference, self.known_zones),
                zones,
                placeholder=_("type a zone; ↓ for the list"),
                compact=True,
                id="field-zones",
            ),
            "themes": LabelPicker(
                theme_items(reference, self.known_themes),
                themes,
                placeholder=_("type a theme; ↓ for the list"),
                compact=True,
                id="field-themes",
            ),
        }

    def _common_fields(self) -> ComposeResult:
        values = self._initial()
        pickers = self._pickers()
        placeholders = {
            "code": _("automatic: PdC-YEAR-NN"),
            "year": _("from the start date"),
            "start": _("DD/MM/YYYY"),
            "end": _("DD/MM/YYYY"),
            "target_groups": _("comma-separated, e.g. {example}").format(
                example="anziani, famiglie"
            ),
        }
        yield Static(Content(_("Pact")), classes="form-section")
        if self.is_new and not self.pact_type:
            yield from self._row(
                "type",
                _("Type"),
                Input(placeholder=_("a pact type name"), id="field-type", compact=True),
            )
        for name, label in LINE_FIELDS:
            widget: Input | LabelPicker = (
                pickers[name]
                if name in pickers
                else Input(
                    values.get(name, ""),
                    placeholder=placeholders.get(name, ""),
                    id=f"field-{name}",
                    compact=True,
                )
            )
            yield from self._row(name, _(label) + (" *" if name == "title" else ""), widget)
        for name, label in BLOCK_FIELDS:
            area = TextArea(values.get(name, ""), id=f"field-{name}", tab_behavior="focus")
            yield from self._row(name, _(label), area)
            if name == "objectives":
                yield Static(Content(_("One objective per line.")), classes="form-hint")

    def _row(self, name: str, label: str, widget: Input | TextArea | LabelPicker) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(Content(label), classes="form-label")
            yield widget
        yield Static(id=f"field-{name}-error", classes="form-error")

    def _role_options(self) -> list[tuple[Text, str]]:
        if self.pact_type is not None and self.pact_type.roles:
            return [
                (Text(f"{role.label} ({role.describe_count()})"), role.name)
                for role in self.pact_type.roles
            ]
        names = dict.fromkeys([*FALLBACK_ROLES, *(m["role"] for m in self.members)])
        return [(Text(name), name) for name in names]

    def _member_fields(self) -> ComposeResult:
        yield Static(Content(_("Members")), classes="form-section")
        yield MemberList(id="member-list")
        yield Button(_("Remove selected member"), id="remove-member", compact=True)
        yield Static(id="role-summary", classes="form-hint")
        options = self._role_options()
        with Horizontal(classes="form-row"):
            yield Label(Content(_("Add member")), classes="form-label")
            yield Select(
                options, value=options[0][1], allow_blank=False, id="member-role", compact=True
            )
            picker = PartnerPicker(
                self._partner_choices(),
                placeholder=_("type a partner's name, Enter adds it"),
                id="member-picker",
            )
            picker.prefer(self._role_kinds(options[0][1]))
            yield picker
        yield Static(id="field-members-error", classes="form-error")

    def _partner_choices(self) -> list[Choice]:
        return [
            Choice(p.id or 0, p.name, p.kind.label, p.kind.value)
            for p in self.registry.list_partners()
        ]

    def _role(self, name: str) -> Role | None:
        return self.pact_type.role(name) if self.pact_type is not None else None

    def _role_kinds(self, name: str) -> frozenset[str]:
        """The partner kinds the role takes (none: any kind)."""
        role = self._role(name)
        return role.kinds if role is not None else frozenset()

    @on(Select.Changed, "#member-role")
    def _role_changed(self, event: Select.Changed) -> None:
        """Partners of the kinds the new role takes come first among the suggestions."""
        event.stop()
        kinds = self._role_kinds(event.value) if isinstance(event.value, str) else frozenset()
        self.query_one("#member-picker", PartnerPicker).prefer(kinds)

    @on(DescendantFocus, "#member-role")
    def _role_focused(self, event: DescendantFocus) -> None:
        """Scroll the row up so the roles' drop-down opens inside the dialog, not on the footer."""
        self.call_after_refresh(self.query_one("#member-picker", PartnerPicker).reveal)

    def _details_fields(self) -> ComposeResult:
        if self.pact_type is None:
            if self.pact is not None and self.pact.details:
                yield Static(
                    Content(
                        _(
                            "The type {type} is not registered: its details are kept as they are."
                        ).format(type=self.type_name)
                    ),
                    classes="form-hint",
                )
            return
        if not self.pact_type.Details.model_fields:
            return
        yield Static(
            Content(_("Details of the type: {type}").format(type=self.pact_type.label())),
            classes="form-section",
        )
        values = (
            self.pact.details if self.pact is not None else default_values(self.pact_type.Details)
        )
        yield DetailsForm(self.pact_type.Details, values, self.name_of, id="details-form")
        yield Static(id="field-details-error", classes="form-error")

    def on_mount(self) -> None:
        self._show_members()
        self.query_one("#field-title", Input).focus()
        self.call_after_refresh(self._mark_clean)

    def _mark_clean(self) -> None:
        self._clean_state = self._state()

    # -- members -----------------------------------------------------------------------------

    def _show_members(self, highlight: int | None = None) -> None:
        listing = self.query_one("#member-list", MemberList)
        listing.clear_options()
        for member in self.members:
            label = Text(f"• {self.name_of(member['partner_id'])} ")
            label.append(f"({role_label(self.pact_type, member['role'])})", style="dim")
            listing.add_option(Option(label))
        if self.members:
            listing.highlighted = min(highlight or 0, len(self.members) - 1)
        self.query_one("#remove-member", Button).display = bool(self.members)
        self.query_one("#role-summary", Static).update(self._role_summary())

    def _role_summary(self) -> Content:
        """Members per role against the type's limits: what activation will check."""
        if not self.members and (self.pact_type is None or not self.pact_type.roles):
            return Content(_("No members yet."))
        if self.pact_type is None or not self.pact_type.roles:
            return Content(_("{n} members").format(n=len(self.members)))
        parts: list[str | tuple[str, str]] = []
        for role in self.pact_type.roles:
            count = sum(1 for m in self.members if m["role"] == role.name)
            ok = count >= role.min and (role.max is None or count <= role.max)
            if parts:
                parts.append(" · ")
            text = f"{role.label} {count} ({role.describe_count()})"
            parts.append(text if ok else (text + " ✗", "bold $text-error"))
        return Content.assemble(*parts)

    @on(PartnerPicker.Picked, "#member-picker")
    def _picked(self, event: PartnerPicker.Picked) -> None:
        event.stop()
        role = self.query_one("#member-role", Select).value
        error = self.query_one("#field-members-error", Static)
        if not isinstance(role, str):
            self._field_error(error, _("Choose a role first."))
            return
        choice = event.choice
        if any(m["partner_id"] == choice.partner_id and m["role"] == role for m in self.members):
            self._field_error(
                error,
                _("{name} is already a member with the role {role}.").format(
                    name=choice.name, role=role_label(self.pact_type, role)
                ),
            )
            return
        chosen = self._role(role)
        if chosen is not None and choice.kind and not chosen.accepts(choice.kind):
            self._field_error(
                error,
                _("Not added: {name} is “{kind}”; the role {role} takes: {kinds}.").format(
                    name=choice.name,
                    kind=kind_label(choice.kind),
                    role=chosen.label,
                    kinds=", ".join(sorted(kind_label(k) for k in chosen.kinds)),
                ),
            )
            return
        error.remove_class("-shown")
        self.members.append({"partner_id": choice.partner_id, "role": role})
        self._show_members(highlight=len(self.members) - 1)
        event.picker.clear()
        event.picker.focus_input()

    @on(MemberList.Remove)
    def _remove(self, event: MemberList.Remove) -> None:
        event.stop()
        self._remove_at(event.index)

    @on(Button.Pressed, "#remove-member")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        highlighted = self.query_one("#member-list", MemberList).highlighted
        if highlighted is not None:
            self._remove_at(highlighted)

    def _remove_at(self, index: int) -> None:
        if 0 <= index < len(self.members):
            del self.members[index]
            self._show_members(highlight=index)

    # -- inline checks while typing --------------------------------------------------------------

    @on(Input.Changed, "#field-start, #field-end, #field-year")
    def _check_typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        error = self.query_one(f"#field-{name}-error", Static)
        problem = self._problem_of(name, event.value)
        if problem:
            self._field_error(error, problem)
        else:
            error.update("")
            error.remove_class("-shown")

    @staticmethod
    def _problem_of(name: str, text: str) -> str | None:
        if not text.strip():
            return None
        if name == "year":
            return None if text.strip().isdigit() else _("must be a whole number")
        try:
            parse_date(text)
        except ValueError as exc:
            return str(exc)
        return None

    # -- state, errors ---------------------------------------------------------------------------

    def _state(self) -> tuple[Any, ...]:
        """Everything the operator can change, as typed (to tell whether anything was)."""
        values = []
        for widget in self.query(".form-row > Input, .form-row > TextArea").results():
            if isinstance(widget, Input) and widget.id and widget.id.startswith("field-"):
                values.append(widget.value)
            elif isinstance(widget, TextArea) and widget.id and widget.id.startswith("field-"):
                values.append(widget.text)
        picked = tuple(self._picker(name).state() for name in PICKED_FIELDS)
        details = self.query(DetailsForm)
        raw = tuple(sorted(details.first().raw().items())) if details else ()
        members = tuple((m["partner_id"], m["role"]) for m in self.members)
        return (tuple(values), picked, members, raw)

    @property
    def dirty(self) -> bool:
        return self._clean_state is not None and self._state() != self._clean_state

    def _field_error(self, error: Static, message: str) -> None:
        error.update(Content(message))
        error.add_class("-shown")

    def _clear_errors(self) -> None:
        for error in self.query(".form-error").results(Static):
            error.update("")
            error.remove_class("-shown")
        self._fields_banner = False

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(LabelPicker.Changed)
    def _maybe_fixed(self, event: Input.Changed | TextArea.Changed | LabelPicker.Changed) -> None:
        """A title typed in answers its message; once no field is red the banner goes too
        (later: the form's own checks, and the details form's, run first)."""
        if (
            isinstance(event, Input.Changed)
            and event.input.id == "field-title"
            and event.value.strip()
        ):
            error = self.query_one("#field-title-error", Static)
            error.update("")
            error.remove_class("-shown")
        if self._fields_banner:
            self.call_later(self._drop_fields_banner)

    def _drop_fields_banner(self) -> None:
        if self._fields_banner and not self.query(".form-error.-shown").exclude("#editor-error"):
            banner = self.query_one("#editor-error", Static)
            banner.update("")
            banner.remove_class("-shown")
            self._fields_banner = False

    def show_error(self, field: str | None, message: str) -> None:
        """``message`` under ``field`` (a service's ``ValidationError.field``) and on top."""
        root = (field or "").split(".")[0]
        if root in COMMON or root in ("members", "details"):
            found = self.query(f"#field-{root}-error")
            if found:
                self._field_error(found.first(Static), message)
        self._field_error(self.query_one("#editor-error", Static), message)

    # -- saving ----------------------------------------------------------------------------------

    def _picker(self, name: str) -> LabelPicker:
        return self.query_one(f"#field-{name}", LabelPicker)

    @on(LabelPicker.Changed)
    def _labels_changed(self, event: LabelPicker.Changed) -> None:
        """Acting on a picker answers its message; what is typed is checked on saving."""
        found = self.query(f"#{event.picker.id}-error") if event.picker.id else None
        if found:
            error = found.first(Static)
            error.update("")
            error.remove_class("-shown")

    def _text(self, name: str) -> str:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def collect(self) -> dict[str, Any] | None:
        """The fields to save, or ``None`` with every problem shown where it is."""
        self._clear_errors()
        problems = 0
        fields: dict[str, Any] = {
            "title": self._text("title"),
            "target_groups": split_list(self._text("target_groups")),
            "objectives": [line for line in self._text("objectives").splitlines() if line.strip()],
            "notes": self._text("notes"),
            "members": [dict(m) for m in self.members],
        }
        for name in PICKED_FIELDS:
            picker = self._picker(name)
            problem = picker.resolve_typed()
            if problem:
                label = _("Zones") if name == "zones" else _("Themes")
                self.show_error(name, f"{label}: {problem}")
                problems += 1
            fields[name] = picker.values
        if not fields["title"].strip():
            self.show_error("title", f"{_('Title')}: {_('is required')}")
            problems += 1
        code = self._text("code").strip()
        if code or not self.is_new:
            fields["code"] = code
        year = self._text("year").strip()
        if year:
            if year.isdigit():
                fields["year"] = int(year)
            else:
                self.show_error("year", _("Year: must be a whole number"))
                problems += 1
        for name in ("start", "end"):
            text = self._text(name).strip()
            if not text:
                fields[name] = None
                continue
            try:
                fields[name] = parse_date(text)
            except ValueError as exc:
                label = _("Start") if name == "start" else _("End")
                self.show_error(name, f"{label}: {exc}")
                problems += 1
        if self.is_new:
            fields["type"] = (
                self.type_name if self.pact_type else self.query_one("#field-type", Input).value
            )
        forms = self.query(DetailsForm)
        if forms:
            details = forms.first().collect()
            if details is None:
                problems += 1
            else:
                fields["details"] = details
        elif self.pact_type is not None and self.is_new:
            fields["details"] = {}
        if problems:
            self._field_error(
                self.query_one("#editor-error", Static),
                _("Not saved: correct the fields marked in red."),
            )
            self._fields_banner = True
            return None
        return fields

    def action_save(self) -> None:
        fields = self.collect()
        if fields is None:
            self.notify(
                _("Not saved: correct the fields marked in red."),
                severity="error",
                markup=False,
            )
            return
        try:
            if self.pact is None:
                saved = self.registry.create_pact(**fields)
            else:
                saved = self.registry.update_pact(self.pact.id or 0, self.pact.revision, **fields)
        except ValidationError as exc:
            self._refused(exc.field, exc)
            return
        except PattiError as exc:
            self._refused(None, exc)
            return
        self.dismiss(saved)

    def _refused(self, field: str | None, exc: PattiError) -> None:
        message = clean_text(str(exc))
        self.show_error(field, message)
        self.notify(message, title=_("Not saved"), severity="error", timeout=10, markup=False)

    def action_close(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDiscard(), answered)


__all__ = ["ConfirmDiscard", "MemberList", "PactEditor", "TemplatePicker"]
