"""The partner form: create or edit a partner and its contact persons.

Every field is checked with the model's own rules as the operator types
(a message under the field, never a traceback), and the record is saved by
the service only when all of them pass, so a refused form writes nothing.
Closing a form with changes asks first: an operator on a slow RDP link must
not lose a contact typed in by a stray Escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import pydantic
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from patti.core.errors import PattiError, ValidationError
from patti.core.i18n import N_, _
from patti.core.model import ContactPerson, LegalBasis, Partner, PartnerKind, Slug
from patti.core.search import fold
from patti.core.services import PartnerQuery, Registry
from patti.core.text import clean_text, without_controls
from patti.core.validation import describe_validation_error, validate_model

from ..localise import localise_bindings
from ..widgets.label_picker import LabelPicker, theme_items, zone_items
from ..widgets.partner_detail import reference_data
from .confirm import ConfirmDialog

T = TypeVar("T")

_SLUG_ADAPTER: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(Slug)


# -- checking one field with the model's rules -----------------------------------------


def field_problem(model: type[pydantic.BaseModel], field: str, value: Any) -> str | None:
    """What ``model`` says about ``value`` for ``field`` alone (``None``: it is fine).

    Validating the assignment runs the field's own validators and nothing that
    needs the other fields, so each input gets its own message.
    """
    try:
        model.__pydantic_validator__.validate_assignment(model.model_construct(), field, value)
    except pydantic.ValidationError as exc:
        if field == "email":  # email-validator speaks English only
            return _("not a valid e-mail address (for example name@example.org)")
        return describe_validation_error(exc, limit=1).removeprefix(f"{field}: ")
    return None


def split_slugs(text: str) -> tuple[list[str], str | None]:
    """The slugs in a comma-separated list, and what is wrong with the first bad one."""
    values: list[str] = []
    for raw in text.split(","):
        item = clean_text(raw)
        if not item:
            continue
        try:
            values.append(_SLUG_ADAPTER.validate_python(item))
        except pydantic.ValidationError as exc:
            problem = describe_validation_error(exc, limit=1)
            return values, _("“{value}”: {problem}").format(value=item, problem=problem)
    return list(dict.fromkeys(values)), None


def contact_key(name: str, taken: Iterable[str]) -> str:
    """A stable slug for a new contact person, unique within the partner."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:60] or "contact"
    used = set(taken)
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    return key


# -- building blocks ---------------------------------------------------------------------


class FieldError(Static):
    """The message under a field; takes no room while there is nothing to say."""

    DEFAULT_CSS = """
    FieldError {
        color: $text-error;
        height: auto;
        display: none;
        padding: 0 1;
    }
    FieldError.-shown {
        display: block;
    }
    """

    message = ""

    def say(self, message: str | None) -> None:
        self.message = message or ""
        self.update(Content(self.message))
        self.set_class(bool(message), "-shown")


def field_row(label: str, widget: Widget, name: str) -> Horizontal:
    """A label beside its widget, with the widget's error line below it."""
    return Horizontal(
        Label(label, classes="field-label"),
        Vertical(widget, FieldError(id=f"{name}-error"), classes="field-input"),
        classes="field",
    )


def _text(value: str) -> Text:
    """A Select/OptionList prompt that shows stored text literally."""
    return Text(value)


class FormScreen(ModalScreen[T]):
    """A modal form that asks before throwing away what was typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
    ]

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
    }
    FormScreen > .form {
        width: 116;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    FormScreen .form-body {
        height: auto;
        max-height: 1fr;
    }
    FormScreen .field {
        height: auto;
    }
    FormScreen .field-label {
        width: 16;
        padding: 1 1 0 0;
        text-align: right;
    }
    FormScreen .field-input {
        width: 1fr;
        height: auto;
    }
    FormScreen .form-buttons {
        height: auto;
        align-horizontal: right;
    }
    FormScreen .form-buttons Button {
        margin-left: 2;
    }
    FormScreen #form-error {
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        localise_bindings(self)
        self._initial: object = None
        self.ready = False
        #: The message at the foot only points at the fields in red: it goes with the last.
        self._fields_banner = False

    def on_mount(self) -> None:
        self._initial = self.state()
        self.call_after_refresh(self._set_ready)

    def _set_ready(self) -> None:
        self.ready = True

    def state(self) -> object:
        """What the operator can change, to tell an edited form from an untouched one."""
        raise NotImplementedError

    @property
    def dirty(self) -> bool:
        return self.state() != self._initial

    def action_save(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmDialog(
                _("Discard the changes?"),
                _("What you typed in this form has not been saved."),
                confirm_label=_("Discard"),
                cancel_label=_("Keep editing"),
                danger=True,
            ),
            self._discard,
        )

    def _discard(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)

    @on(Input.Changed)
    def _strip_controls(self, event: Input.Changed) -> None:
        """Pasted escape sequences never reach the screen (nor, later, the store)."""
        typed = without_controls(event.value)
        if typed != event.value:
            event.input.value = typed  # raises Changed again, with the clean text

    def show_error(self, name: str, message: str | None) -> None:
        """The message under field ``name`` (``None`` clears it); a bad input turns red."""
        self.query_one(f"#{name}-error", FieldError).say(message)
        for widget in self.query(f"#{name}"):
            widget.set_class(bool(message), "-invalid")
        if name == "form":
            self._fields_banner = False
        elif not message and self._fields_banner and not self._fields_in_red():
            self.show_error("form", None)  # the last field in red was corrected

    def _fields_in_red(self) -> bool:
        return any(e.message for e in self.query(FieldError) if e.id != "form-error")

    def show_fields_banner(self, message: str) -> None:
        """``message`` at the foot, about the fields in red: it goes once they are right."""
        self.show_error("form", message)
        self._fields_banner = True

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def body(self) -> VerticalScroll:
        """The scrolling part of the form: it scrolls on small terminals, Tab skips it."""
        scroll = VerticalScroll(classes="form-body")
        scroll.can_focus = False
        return scroll

    def buttons(self) -> Horizontal:
        return Horizontal(
            Button(_("Save (ctrl+s)"), id="form-save", variant="primary"),
            Button(_("Cancel (esc)"), id="form-cancel"),
            classes="form-buttons",
        )


# -- contact persons ------------------------------------------------------------------------


CONTACT_FIELDS = ("name", "role", "email", "phone", "retention_until")


class ContactEditor(FormScreen[ContactPerson | None]):
    """One contact person (personal data): returns the validated record, not yet saved.

    The partner form saves it together with the partner.
    """

    AUTO_FOCUS = "#c-name"

    DEFAULT_CSS = """
    ContactEditor > .form {
        width: 84;
    }
    """

    def __init__(self, contact: ContactPerson | None, taken: Iterable[str]) -> None:
        super().__init__()
        self.contact = contact
        self.taken = set(taken)

    def compose(self) -> ComposeResult:
        c = self.contact
        with Vertical(classes="form") as form:
            form.border_title = _("Edit contact person") if c else _("New contact person")
            with self.body():
                yield field_row(
                    _("Name"), Input(c.name if c else "", id="c-name", max_length=300), "c-name"
                )
                yield field_row(
                    _("Role"),
                    Input(c.role if c else "", id="c-role", max_length=300),
                    "c-role",
                )
                yield field_row(
                    _("E-mail"),
                    Input(str(c.email or "") if c else "", id="c-email", max_length=320),
                    "c-email",
                )
                yield field_row(
                    _("Phone"), Input(c.phone if c else "", id="c-phone", max_length=40), "c-phone"
                )
                yield field_row(
                    _("Legal basis"),
                    Select(
                        [(basis.label, basis) for basis in LegalBasis],
                        allow_blank=False,
                        value=c.legal_basis if c else LegalBasis.LEGITIMATE_INTEREST,
                        id="c-legal_basis",
                    ),
                    "c-legal_basis",
                )
                retention = (
                    c.retention_until.strftime("%d/%m/%Y") if c and c.retention_until else ""
                )
                yield field_row(
                    _("Keep until"),
                    Input(retention, placeholder=_("dd/mm/yyyy"), id="c-retention_until"),
                    "c-retention_until",
                )
            yield FieldError(id="form-error")
            yield self.buttons()
        yield Footer()

    def state(self) -> object:
        return (*(self._raw(f) for f in CONTACT_FIELDS), self._basis())

    def _raw(self, field: str) -> str:
        return self.query_one(f"#c-{field}", Input).value

    def _basis(self) -> LegalBasis:
        value = self.query_one("#c-legal_basis", Select).value
        return value if isinstance(value, LegalBasis) else LegalBasis.LEGITIMATE_INTEREST

    def _value(self, field: str) -> str | None:
        """What the model gets for ``field``: an empty optional field is ``None``."""
        text = clean_text(self._raw(field))
        return (text or None) if field in ("email", "retention_until") else text

    def _check(self, field: str) -> str | None:
        problem = field_problem(ContactPerson, field, self._value(field))
        self.show_error(f"c-{field}", problem)
        return problem

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("c-")
        if self.ready and field in CONTACT_FIELDS:
            self._check(field)

    def action_save(self) -> None:
        problems = [f for f in CONTACT_FIELDS if self._check(f)]
        if problems:
            self.query_one(f"#c-{problems[0]}", Input).focus()
            return
        c = self.contact
        name = self._value("name") or ""
        data: dict[str, Any] = {
            "key": c.key if c else contact_key(name, self.taken),
            **{f: self._value(f) for f in CONTACT_FIELDS},
            "legal_basis": self._basis(),
            "consents": [consent.model_dump() for consent in c.consents] if c else [],
            "notes": c.notes if c else "",
        }
        try:
            contact = validate_model(ContactPerson, data)
        except ValidationError as exc:
            self.show_error("form", str(exc))
            return
        self.dismiss(contact)


class ContactList(OptionList):
    """The partner's contact persons, edited from the keyboard where the cursor is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a,insert", "screen.add_contact", N_("Add contact"), id="contacts.add"),
        Binding("x,delete", "screen.remove_contact", N_("Remove contact"), id="contacts.remove"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        localise_bindings(self)


def describe_contact(contact: ContactPerson) -> Text:
    """One line for the list: name, role and how to reach them."""
    text = Text(contact.name, style="bold")
    for extra in (contact.role, str(contact.email or ""), contact.phone):
        if extra:
            text.append(" · " + extra)
    return text


# -- the partner ------------------------------------------------------------------------------


#: Reference values picked by label (the record keeps their slugs).
PICKED_FIELDS = ("zones", "themes")
#: Free slugs typed as a comma-separated list.
SLUG_FIELDS = ("tags",)


class PartnerEditor(FormScreen[Partner | None]):
    """Create (``partner=None``) or edit a partner; dismisses with the saved partner.

    ``zones`` and ``themes`` are slugs found in the data: offered by their
    labels together with the plugins' reference data (a slug it does not
    name is offered as it is).
    """

    AUTO_FOCUS = "#p-name"

    DEFAULT_CSS = """
    PartnerEditor .columns {
        height: auto;
    }
    PartnerEditor .column {
        width: 1fr;
        height: auto;
    }
    PartnerEditor #p-notes {
        height: 6;
    }
    PartnerEditor #p-contacts {
        height: 7;
    }
    PartnerEditor .contact-buttons {
        height: auto;
    }
    PartnerEditor .contact-buttons Button {
        min-width: 10;
        margin-right: 1;
    }
    PartnerEditor .section-label {
        padding: 1 0 0 1;
        text-style: bold;
    }
    """

    def __init__(
        self,
        registry: Registry,
        partner: Partner | None = None,
        *,
        zones: Sequence[str] = (),
        themes: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.registry = registry
        self.partner = partner
        self.zones = zones
        self.themes = themes
        self.contacts: list[ContactPerson] = list(partner.contacts) if partner else []
        self._initial_contacts = list(self.contacts)

    # -- layout

    def compose(self) -> ComposeResult:
        p = self.partner
        with Vertical(classes="form") as form:
            form.border_title = _("Edit partner") if p else _("New partner")
            with self.body(), Horizontal(classes="columns"):
                with Vertical(classes="column"):
                    yield field_row(
                        _("Name"), Input(p.name if p else "", id="p-name", max_length=300), "p-name"
                    )
                    yield field_row(
                        _("Kind"),
                        Select(
                            [(kind.label, kind) for kind in PartnerKind],
                            prompt=_("Choose the kind…"),
                            value=p.kind if p else Select.NULL,
                            id="p-kind",
                        ),
                        "p-kind",
                    )
                    yield field_row(
                        _("Part of"),
                        Select(
                            self._parent_options(),
                            prompt=_("No parent institute"),
                            value=p.parent_id if p and p.parent_id else Select.NULL,
                            id="p-parent",
                            disabled=not self._may_have_parent(p.kind if p else None),
                        ),
                        "p-parent",
                    )
                    reference = reference_data(self.registry)
                    yield field_row(
                        _("Zones"),
                        LabelPicker(
                            zone_items(reference, self.zones),
                            p.zones if p else (),
                            placeholder=_("type a zone; ↓ for the list"),
                            id="p-zones",
                        ),
                        "p-zones",
                    )
                    yield field_row(
                        _("Themes"),
                        LabelPicker(
                            theme_items(reference, self.themes),
                            p.themes if p else (),
                            placeholder=_("type a theme; ↓ for the list"),
                            id="p-themes",
                        ),
                        "p-themes",
                    )
                    yield field_row(
                        _("Tags"),
                        Input(
                            ", ".join(p.tags) if p else "",
                            id="p-tags",
                            placeholder=_("e.g. {example}, …").format(example="doposcuola"),
                        ),
                        "p-tags",
                    )
                with Vertical(classes="column"):
                    yield Label(_("Notes"), classes="section-label")
                    yield TextArea(p.notes if p else "", id="p-notes", soft_wrap=True)
                    yield FieldError(id="p-notes-error")
                    yield Label(_("Contact persons"), classes="section-label")
                    yield ContactList(id="p-contacts")
                    yield FieldError(id="p-contacts-error")
                    yield Horizontal(
                        Button(_("Add"), id="contact-add"),
                        Button(_("Edit"), id="contact-edit"),
                        Button(_("Remove"), id="contact-remove"),
                        classes="contact-buttons",
                    )
            yield FieldError(id="form-error")
            yield self.buttons()
        yield Footer()

    def _parent_options(self) -> list[tuple[Text, int]]:
        """The Istituti Comprensivi, and the current parent whatever its kind."""
        institutes = self.registry.list_partners(PartnerQuery(kind=PartnerKind.SCHOOL_INSTITUTE))
        own = self.partner.id if self.partner else None
        options = [(_text(i.name), i.id) for i in institutes if i.id and i.id != own]
        parent = self.partner.parent_id if self.partner else None
        if parent is not None and all(value != parent for _label, value in options):
            try:
                options.append((_text(self.registry.partner(parent).name), parent))
            except PattiError:
                options.append((_text(f"#{parent}"), parent))
        return options

    def on_mount(self) -> None:
        # Textual then runs FormScreen.on_mount too, which records the untouched state.
        self._show_contacts()

    # -- state

    def _raw(self, field: str) -> str:
        return self.query_one(f"#p-{field}", Input).value

    def _picker(self, field: str) -> LabelPicker:
        return self.query_one(f"#p-{field}", LabelPicker)

    def _kind(self) -> PartnerKind | None:
        value = self.query_one("#p-kind", Select).value
        return value if isinstance(value, PartnerKind) else None

    def _parent_choice(self) -> int | None:
        value = self.query_one("#p-parent", Select).value
        return value if isinstance(value, int) else None

    def _notes(self) -> str:
        return self.query_one("#p-notes", TextArea).text

    def state(self) -> object:
        return (
            self._raw("name"),
            self._kind(),
            self._parent_choice(),
            *(self._picker(f).state() for f in PICKED_FIELDS),
            *(self._raw(f) for f in SLUG_FIELDS),
            self._notes(),
            tuple(c.model_dump_json() for c in self.contacts),
        )

    # -- checks

    def _check(self, field: str) -> str | None:
        if field in PICKED_FIELDS:
            problem = self._picker(field).resolve_typed()
        elif field in SLUG_FIELDS:
            problem = split_slugs(self._raw(field))[1]
        elif field == "kind":
            problem = None if self._kind() else _("Choose the kind of partner.")
        elif field == "notes":
            problem = field_problem(Partner, "notes", self._notes())
        else:
            problem = field_problem(Partner, field, clean_text(self._raw(field)))
        self.show_error(f"p-{field}", problem)
        return problem

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("p-")
        if self.ready and field in ("name", *SLUG_FIELDS):
            self._check(field)

    @on(TextArea.Changed, "#p-notes")
    def _notes_changed(self) -> None:
        if self.ready:
            self._check("notes")

    @on(LabelPicker.Changed)
    def _picked(self, event: LabelPicker.Changed) -> None:
        """Acting on a picker answers its message; what is typed is checked on saving."""
        if self.ready and event.picker.id:
            self.show_error(event.picker.id, None)

    def _may_have_parent(self, kind: PartnerKind | None) -> bool:
        """A school has an institute; a partner that already has a parent keeps it editable."""
        return kind is PartnerKind.SCHOOL or bool(self.partner and self.partner.parent_id)

    @on(Select.Changed, "#p-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        """The parent is a school's institute: offered for schools, or kept if already set."""
        kind = self._kind()
        self.query_one("#p-parent", Select).disabled = not self._may_have_parent(kind)
        if self.ready and kind is not None:
            self.show_error("p-kind", None)

    # -- contacts

    def _show_contacts(self, highlight: int | None = None) -> None:
        listing = self.query_one(ContactList)
        listing.clear_options()
        listing.add_options(Option(describe_contact(c)) for c in self.contacts)
        if self.contacts:
            listing.highlighted = min(highlight or 0, len(self.contacts) - 1)
        self.show_error("p-contacts", None)

    def _current_contact(self) -> int | None:
        index = self.query_one(ContactList).highlighted
        return index if index is not None and 0 <= index < len(self.contacts) else None

    def action_add_contact(self) -> None:
        taken = {c.key for c in self.contacts}
        self.app.push_screen(ContactEditor(None, taken), self._contact_added)

    def _contact_added(self, contact: ContactPerson | None) -> None:
        if contact is not None:
            self.contacts.append(contact)
            self._show_contacts(len(self.contacts) - 1)

    def action_edit_contact(self) -> None:
        index = self._current_contact()
        if index is None:
            return
        taken = {c.key for i, c in enumerate(self.contacts) if i != index}
        self.app.push_screen(
            ContactEditor(self.contacts[index], taken),
            lambda contact: self._contact_edited(index, contact),
        )

    def _contact_edited(self, index: int, contact: ContactPerson | None) -> None:
        if contact is not None:
            self.contacts[index] = contact
            self._show_contacts(index)

    def action_remove_contact(self) -> None:
        index = self._current_contact()
        if index is not None:
            del self.contacts[index]
            self._show_contacts(index)

    @on(OptionList.OptionSelected, "#p-contacts")
    def _contact_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit_contact()

    @on(Button.Pressed, ".contact-buttons Button")
    def _contact_button(self, event: Button.Pressed) -> None:
        event.stop()
        {
            "contact-add": self.action_add_contact,
            "contact-edit": self.action_edit_contact,
            "contact-remove": self.action_remove_contact,
        }[event.button.id or ""]()

    # -- saving

    def action_save(self) -> None:
        fields = ("name", "kind", *PICKED_FIELDS, *SLUG_FIELDS, "notes")
        problems = [f for f in fields if self._check(f)]
        if problems:
            first = problems[0]
            self.query_one("#p-notes" if first == "notes" else f"#p-{first}").focus()
            self.show_fields_banner(_("Correct the fields marked in red: nothing was saved."))
            return
        changes: dict[str, Any] = {
            "name": clean_text(self._raw("name")),
            "kind": self._kind(),
            "parent_id": self._parent_choice() if self._may_have_parent(self._kind()) else None,
            **{f: self._picker(f).values for f in PICKED_FIELDS},
            **{f: split_slugs(self._raw(f))[0] for f in SLUG_FIELDS},
            "notes": self._notes(),
            "contacts": [c.model_dump() for c in self.contacts],
        }
        try:
            if self.partner is None or self.partner.id is None:
                saved = self.registry.create_partner(**changes)
            else:
                saved = self.registry.update_partner(
                    self.partner.id, self.partner.revision, **changes
                )
        except PattiError as exc:
            self._refused(exc)
            return
        self.dismiss(saved)

    def _refused(self, exc: PattiError) -> None:
        """A refusal goes under the field it names, else at the foot of the form."""
        message = clean_text(str(exc))
        field = exc.field.split(".")[0] if isinstance(exc, ValidationError) and exc.field else ""
        target = {"parent_id": "p-parent", "contacts": "p-contacts"}.get(field, f"p-{field}")
        if field and self.query(f"#{target}-error"):
            self.show_error(target, message)
            self.show_error("form", _("Nothing was saved."))
        else:
            self.show_error("form", message)
