"""Add one activity to a pact, or change one: when, where, who takes part, for whom.

Planners propose whole programmes; this form is for the single visit added
by hand or moved by a phone call. The pact, the host and the partners taking
part are picked by typing part of a name (:class:`PartnerPicker`). Dates are
typed as ``31/12/2021`` and times as ``09:30``; each problem is shown under
its field while typing and again on Ctrl+S, and the services check it all
once more: nothing is saved until every field passes. An edit carries the
revision the form was opened with, so a change made elsewhere in the
meantime is refused (and said), never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from patti.core.dates import format_date, parse_date, parse_datetime
from patti.core.errors import ConflictError, PattiError, ValidationError
from patti.core.i18n import N_, _
from patti.core.model import Activity, Pact, PactStatus
from patti.core.services import Registry
from patti.core.text import clean_text

from ..localise import localise_bindings
from ..widgets.pact_detail import partner_namer
from ..widgets.partner_picker import Choice, PartnerPicker
from .confirm import ConfirmDialog

__all__ = ["ActivityEditor", "ParticipantList", "parse_count", "parse_time"]

#: Kinds offered as completions; any lowercase word is accepted.
KINDS = ("meeting", "visit", "talk", "event", "testimony", "workshop")

MAX_AUDIENCE = 1_000_000
"""The model's own bound on a group's size."""

_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")

#: The form's fields by the name a service's ``ValidationError.field`` gives them.
FIELD_OF_MODEL = {
    "pact_id": "pact",
    "title": "title",
    "kind": "kind",
    "starts_at": "date",
    "ends_at": "until",
    "place_partner_id": "host",
    "place": "place",
    "partner_ids": "partners",
    "audience": "audience",
    "audience_count": "audience_count",
    "notes": "notes",
}


def parse_time(text: str) -> time | None:
    """``9``, ``9:30`` or ``09.30`` as a time (empty: none); ``ValueError`` says why not."""
    if not text.strip():
        return None
    match = _TIME.match(text)
    hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(
            _("“{value}” is not a time: use HH:MM, e.g. 09:30.").format(value=text.strip())
        )
    return time(hour, minute)


def parse_count(text: str) -> int | None:
    """How many people the group has (empty: not known); ``ValueError`` says why not."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(_("A number of people, such as 24."))
    count = int(text)
    if count > MAX_AUDIENCE:
        raise ValueError(
            _("More than {max} people is not plausible: check the number.").format(max=MAX_AUDIENCE)
        )
    return count


def _time_text(moment: datetime) -> str:
    return moment.strftime("%H:%M")


class ParticipantList(OptionList):
    """The partners taking part; Delete removes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete", "remove", N_("Remove partner"), id="participants.remove"),
        Binding(
            "backspace", "remove", N_("Remove partner"), show=False, id="participants.remove-bs"
        ),
    ]

    @dataclass
    class Remove(Message):
        """Remove the participant at ``index``."""

        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localise_bindings(self)

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Remove(self.highlighted))


class ActivityEditor(ModalScreen[Activity | None]):
    """The form of one activity (new when ``activity`` is ``None``); dismisses with the
    saved activity, or ``None`` when closed without saving."""

    DEFAULT_CSS = """
    ActivityEditor {
        align: center middle;
    }
    ActivityEditor > #activity-editor {
        width: 104;
        max-width: 100%;
        height: 100%;
        border: thick $primary;
        background: $surface;
    }
    ActivityEditor #activity-heading {
        padding: 0 1;
        height: auto;
        color: $text-muted;
    }
    ActivityEditor #activity-form {
        padding: 0 1;
    }
    ActivityEditor .form-row {
        height: auto;
        margin-top: 1;
    }
    ActivityEditor .form-label {
        width: 22;
        padding: 0 1 0 0;
        text-style: bold;
    }
    ActivityEditor .form-row > Input, ActivityEditor .form-row > PartnerPicker {
        width: 1fr;
    }
    ActivityEditor .form-row > .short {
        width: 16;
    }
    ActivityEditor .form-row > .inline-label {
        width: auto;
        padding: 0 1 0 2;
        text-style: bold;
    }
    ActivityEditor .form-row > Button {
        margin-left: 1;
    }
    ActivityEditor .chosen {
        padding: 0 0 0 22;
        height: auto;
    }
    ActivityEditor #activity-partners {
        height: auto;
        max-height: 6;
        margin: 0 0 0 22;
    }
    ActivityEditor #field-notes {
        width: 1fr;
        height: 4;
    }
    ActivityEditor .form-error {
        color: $text-error;
        padding: 0 0 0 22;
        display: none;
    }
    ActivityEditor .form-error.-shown {
        display: block;
    }
    ActivityEditor #activity-error {
        padding: 0 1;
        background: $error 20%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="activity.save", priority=True),
        Binding("escape", "close", N_("Close"), id="activity.close"),
    ]

    def __init__(
        self,
        registry: Registry,
        *,
        activity: Activity | None = None,
        pact_id: int | None = None,
        day: date | None = None,
    ) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self.activity = activity
        self.name_of = partner_namer(registry)
        self.pacts = {p.id or 0: p for p in registry.list_pacts()}
        if activity is not None:
            pact_id = activity.pact_id
        pact = self.pacts.get(pact_id) if pact_id is not None else None
        if pact is not None and activity is None and pact.status is PactStatus.CANCELLED:
            pact = None  # a cancelled pact takes no new activities: the operator picks one
        self.pact_id: int | None = pact.id if pact is not None else None
        self.host_id: int | None = activity.place_partner_id if activity is not None else None
        self.partner_ids: list[int] = list(activity.partner_ids) if activity is not None else []
        self._day = day
        self._clean_state: tuple[Any, ...] | None = None
        self._fields_banner = False

    @property
    def is_new(self) -> bool:
        return self.activity is None

    # -- building the form -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="activity-editor") as box:
            box.border_title = _("New activity") if self.is_new else _("Edit activity")
            yield Static(self._heading(), id="activity-heading")
            yield Static(id="activity-error", classes="form-error")
            with VerticalScroll(id="activity-form"):
                yield from self._fields()
        yield Footer()

    def _heading(self) -> Content:
        if self.activity is None:
            return Content(_("Fields marked * are required."))
        return Content.assemble(
            (self.activity.title, "bold"), "  ", (self.activity.status.label, "italic")
        )

    def _initial(self) -> dict[str, str]:
        activity = self.activity
        if activity is None:
            return {"date": format_date(self._day), "kind": "meeting"}
        until = ""
        if activity.ends_at is not None:
            same_day = activity.ends_at.date() == activity.starts_at.date()
            until = _time_text(activity.ends_at) if same_day else _moment_text(activity.ends_at)
        return {
            "title": activity.title,
            "kind": activity.kind,
            "date": format_date(activity.starts_at.date()),
            "time": _time_text(activity.starts_at),
            "until": until,
            "place": activity.place,
            "audience": activity.audience,
            "audience_count": ""
            if activity.audience_count is None
            else str(activity.audience_count),
            "notes": activity.notes,
        }

    def _input(self, name: str, values: dict[str, str], **options: Any) -> Input:
        return Input(values.get(name, ""), id=f"field-{name}", compact=True, **options)

    def _fields(self) -> ComposeResult:
        values = self._initial()
        yield from self._row(
            "pact",
            _("Pact") + " *",
            PartnerPicker(
                self._pact_choices(),
                placeholder=_("type a pact's code or title, Enter picks it"),
                id="pact-picker",
            ),
        )
        yield Static(id="pact-chosen", classes="chosen")
        yield from self._row("title", _("Title") + " *", self._input("title", values))
        yield from self._row(
            "kind",
            _("Kind"),
            self._input(
                "kind",
                values,
                placeholder=_("e.g. {examples}").format(examples=", ".join(KINDS[:4])),
                suggester=SuggestFromList(KINDS),
            ),
        )
        with Horizontal(classes="form-row"):
            yield Label(Content(_("Date") + " *"), classes="form-label")
            yield self._input("date", values, placeholder=_("DD/MM/YYYY"), classes="short")
            yield Label(Content(_("Time") + " *"), classes="inline-label")
            yield self._input("time", values, placeholder=_("HH:MM"), classes="short")
            yield Label(Content(_("Until")), classes="inline-label")
            yield self._input("until", values, placeholder=_("HH:MM"), classes="short")
        for name in ("date", "time", "until"):
            yield Static(id=f"field-{name}-error", classes="form-error")
        with Horizontal(classes="form-row"):
            yield Label(Content(_("Host")), classes="form-label")
            yield PartnerPicker(
                self._partner_choices(),
                placeholder=_("the partner that hosts it, e.g. a school"),
                id="host-picker",
            )
            yield Button(Content(_("No host")), id="host-clear", compact=True)
        yield Static(id="host-chosen", classes="chosen")
        yield Static(id="field-host-error", classes="form-error")
        yield from self._row(
            "place",
            _("Place"),
            self._input("place", values, placeholder=_("a room, an address, or where it is")),
        )
        with Horizontal(classes="form-row"):
            yield Label(Content(_("Taking part")), classes="form-label")
            yield PartnerPicker(
                self._partner_choices(),
                placeholder=_("type a partner's name, Enter adds it"),
                id="partner-picker",
            )
            yield Button(Content(_("Remove selected")), id="partner-remove", compact=True)
        yield ParticipantList(id="activity-partners")
        yield Static(id="field-partners-error", classes="form-error")
        yield from self._row(
            "audience",
            _("Audience"),
            self._input("audience", values, placeholder=_("a group, e.g. class 3B: never a name")),
        )
        yield from self._row(
            "audience_count",
            _("People expected"),
            self._input("audience_count", values, placeholder=_("how many people the group has")),
        )
        yield from self._row(
            "notes",
            _("Notes"),
            TextArea(values.get("notes", ""), id="field-notes", tab_behavior="focus"),
        )

    def _row(self, name: str, label: str, widget: Widget) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(Content(label), classes="form-label")
            yield widget
        yield Static(id=f"field-{name}-error", classes="form-error")

    def _pact_choices(self) -> list[Choice]:
        """Pacts an activity can be added to (a cancelled pact no longer changes),
        newest first; the picker matches the words typed in code and title."""
        usable = [p for p in self.pacts.values() if p.status is not PactStatus.CANCELLED]
        usable.sort(key=lambda p: (-p.year, p.code))
        return [Choice(p.id or 0, f"{p.code} · {p.title}", p.status.label) for p in usable]

    def _partner_choices(self) -> list[Choice]:
        return [Choice(p.id or 0, p.name, p.kind.label) for p in self.registry.list_partners()]

    def on_mount(self) -> None:
        self._show_pact()
        self._show_host()
        self._show_partners()
        if self.pact_id is None:
            self.query_one("#pact-picker", PartnerPicker).focus_input()
        else:
            self.query_one("#field-title", Input).focus()
        self.call_after_refresh(self._mark_clean)

    def _mark_clean(self) -> None:
        self._clean_state = self._state()

    # -- the pact, the host, the partners taking part ------------------------------------------

    def _pact_label(self, pact: Pact) -> str:
        return f"{pact.code} · {pact.title}"

    def _show_pact(self) -> None:
        chosen = self.query_one("#pact-chosen", Static)
        pact = self.pacts.get(self.pact_id) if self.pact_id is not None else None
        if pact is None:
            chosen.update(Content.styled(_("No pact chosen yet."), "italic"))
        else:
            chosen.update(
                Content.assemble(
                    ("✓ ", "bold $text-success"),
                    (self._pact_label(pact), "bold"),
                    f"  ({pact.status.label})",
                )
            )

    def _show_host(self) -> None:
        chosen = self.query_one("#host-chosen", Static)
        if self.host_id is None:
            chosen.update(Content.styled(_("No host: the place below says where."), "italic"))
        else:
            chosen.update(
                Content.assemble(("✓ ", "bold $text-success"), (self.name_of(self.host_id), "bold"))
            )
        self.query_one("#host-clear", Button).display = self.host_id is not None

    def _show_partners(self, highlight: int | None = None) -> None:
        listing = self.query_one("#activity-partners", ParticipantList)
        listing.clear_options()
        for partner_id in self.partner_ids:
            listing.add_option(Option(Text(f"• {self.name_of(partner_id)}")))
        listing.display = bool(self.partner_ids)
        if self.partner_ids:
            listing.highlighted = min(highlight or 0, len(self.partner_ids) - 1)
        self.query_one("#partner-remove", Button).display = bool(self.partner_ids)

    @on(PartnerPicker.Picked, "#pact-picker")
    def _pact_picked(self, event: PartnerPicker.Picked) -> None:
        event.stop()
        self.pact_id = event.choice.partner_id  # the picker's ids are pacts' here
        self._hide_error("pact")
        self._show_pact()
        event.picker.clear()
        self.query_one("#field-title", Input).focus()

    @on(PartnerPicker.Picked, "#host-picker")
    def _host_picked(self, event: PartnerPicker.Picked) -> None:
        event.stop()
        self.host_id = event.choice.partner_id
        self._hide_error("host")
        self._show_host()
        event.picker.clear()
        self.query_one("#field-place", Input).focus()

    @on(Button.Pressed, "#host-clear")
    def _host_cleared(self, event: Button.Pressed) -> None:
        event.stop()
        self.host_id = None
        self._show_host()
        self.query_one("#host-picker", PartnerPicker).focus_input()

    @on(PartnerPicker.Picked, "#partner-picker")
    def _partner_picked(self, event: PartnerPicker.Picked) -> None:
        event.stop()
        choice = event.choice
        if choice.partner_id in self.partner_ids:
            self._show_error(
                "partners", _("{name} is already taking part.").format(name=choice.name)
            )
            return
        self._hide_error("partners")
        self.partner_ids.append(choice.partner_id)
        self._show_partners(highlight=len(self.partner_ids) - 1)
        event.picker.clear()
        event.picker.focus_input()

    @on(ParticipantList.Remove)
    def _remove(self, event: ParticipantList.Remove) -> None:
        event.stop()
        self._remove_at(event.index)

    @on(Button.Pressed, "#partner-remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        highlighted = self.query_one("#activity-partners", ParticipantList).highlighted
        if highlighted is not None:
            self._remove_at(highlighted)

    def _remove_at(self, index: int) -> None:
        if 0 <= index < len(self.partner_ids):
            del self.partner_ids[index]
            self._show_partners(highlight=index)
            if not self.partner_ids:
                self.query_one("#partner-picker", PartnerPicker).focus_input()

    # -- inline checks while typing --------------------------------------------------------------

    @on(Input.Changed, "#field-date, #field-time, #field-until, #field-audience_count")
    def _check_typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        problem = self._problem_of(name, event.value)
        if problem:
            self._show_error(name, problem)
            return
        self._hide_error(name)
        if self._fields_banner and not self.query(".form-error.-shown").exclude("#activity-error"):
            self._hide_error("")  # the last field marked in red was corrected

    def _problem_of(self, name: str, text: str) -> str | None:
        try:
            if name == "date" and text.strip():
                parse_date(text)
            elif name == "time":
                parse_time(text)
            elif name == "until":
                self._until(text, date(2000, 1, 1))
            elif name == "audience_count":
                parse_count(text)
        except ValueError as exc:
            return str(exc)
        return None

    @staticmethod
    def _until(text: str, day: date) -> datetime | None:
        """The end: a time on the same day, or a date and time for a longer activity."""
        if not text.strip():
            return None
        try:
            end = parse_time(text)
        except ValueError:
            try:
                return parse_datetime(text)
            except ValueError:
                raise ValueError(
                    _("“{value}” is not a time: use HH:MM, e.g. 09:30.").format(value=text.strip())
                ) from None
        assert end is not None
        return datetime.combine(day, end)

    # -- state, errors ---------------------------------------------------------------------------

    def _text(self, name: str) -> str:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def _state(self) -> tuple[Any, ...]:
        """Everything the operator can change, as typed (to tell whether anything was)."""
        names = ("title", "kind", "date", "time", "until", "place", "audience", "audience_count")
        typed = tuple(self._text(name) for name in (*names, "notes"))
        return (typed, self.pact_id, self.host_id, tuple(self.partner_ids))

    @property
    def dirty(self) -> bool:
        return self._clean_state is not None and self._state() != self._clean_state

    def _show_error(self, name: str, message: str) -> None:
        """``message`` under the field ``name`` (a name with no field: in the banner)."""
        found = self.query(f"#field-{name}-error")
        target = found.first(Static) if found else self.query_one("#activity-error", Static)
        target.update(Content(message))
        target.add_class("-shown")

    def _summary(self, message: str, *, fields: bool = False) -> None:
        """``message`` in the banner on top, seen whichever field is scrolled into view;
        ``fields``: it only points at the fields in red, so it goes once they are right."""
        banner = self.query_one("#activity-error", Static)
        banner.update(Content(message))
        banner.add_class("-shown")
        self._fields_banner = fields

    def _hide_error(self, name: str) -> None:
        """Clear the error under ``name`` (an empty name: the banner on top)."""
        selector = f"#field-{name}-error" if name else "#activity-error"
        for error in self.query(selector).results(Static):
            error.update("")
            error.remove_class("-shown")
        if not name:
            self._fields_banner = False

    def _focus_first_error(self) -> None:
        """The cursor goes to the first field in red, as the partner form does: on a long
        form the operator need not look for it (nor Tab through the fields to it)."""
        for error in self.query(".form-error.-shown").exclude("#activity-error"):
            name = (error.id or "").removeprefix("field-").removesuffix("-error")
            if name in ("pact", "host", "partners"):
                picker = "#partner-picker" if name == "partners" else f"#{name}-picker"
                self.query_one(picker, PartnerPicker).focus_input()
                return
            found = self.query(f"#field-{name}")
            if found:
                found.first().focus()
                return

    def _clear_errors(self) -> None:
        for error in self.query(".form-error").results(Static):
            error.update("")
            error.remove_class("-shown")

    # -- saving ----------------------------------------------------------------------------------

    def collect(self) -> dict[str, Any] | None:
        """The fields to save, or ``None`` with every problem shown under its field."""
        self._clear_errors()
        problems: list[tuple[str, str]] = []
        if self.pact_id is None:
            problems.append(("pact", _("Choose the pact this activity belongs to.")))
        title = self._text("title").strip()
        if not title:
            problems.append(("title", _("Give the activity a title.")))
        day: date | None = None
        start: time | None = None
        if not self._text("date").strip():
            problems.append(("date", _("Give the date, e.g. 31/12/2021.")))
        else:
            try:
                day = parse_date(self._text("date"))
            except ValueError as exc:
                problems.append(("date", str(exc)))
        try:
            start = parse_time(self._text("time"))
            if start is None:
                problems.append(("time", _("Give the time, e.g. 09:30.")))
        except ValueError as exc:
            problems.append(("time", str(exc)))
        starts_at = datetime.combine(day, start) if day and start else None
        ends_at: datetime | None = None
        try:
            ends_at = self._until(self._text("until"), day or date(2000, 1, 1))
        except ValueError as exc:
            problems.append(("until", str(exc)))
        if starts_at and ends_at and ends_at < starts_at:
            problems.append(("until", _("The end comes before the start.")))
        count: int | None = None
        try:
            count = parse_count(self._text("audience_count"))
        except ValueError as exc:
            problems.append(("audience_count", str(exc)))
        if problems:
            for name, message in problems:
                self._show_error(name, message)
            self._summary(_("Not saved: correct the fields marked in red."), fields=True)
            return None
        return {
            "pact_id": self.pact_id,
            "title": title,
            "kind": self._text("kind").strip() or "meeting",
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place_partner_id": self.host_id,
            "place": self._text("place").strip(),
            "partner_ids": list(self.partner_ids),
            "audience": self._text("audience").strip(),
            "audience_count": count,
            "notes": self._text("notes"),
        }

    def action_save(self) -> None:
        fields = self.collect()
        if fields is None:
            self._focus_first_error()
            self.notify(
                _("Not saved: correct the fields marked in red."),
                severity="error",
                markup=False,
            )
            return
        try:
            if self.activity is None:
                saved = self.registry.create_activity(**fields)
            else:
                saved = self.registry.update_activity(
                    self.activity.id or 0, self.activity.revision, **fields
                )
        except ConflictError as exc:
            self._refused(None, exc, title=_("Changed elsewhere: not saved"))
            return
        except ValidationError as exc:
            self._refused(exc.field, exc)
            return
        except PattiError as exc:
            self._refused(None, exc)
            return
        self.dismiss(saved)

    def _refused(self, field: str | None, exc: PattiError, *, title: str | None = None) -> None:
        message = clean_text(str(exc))
        name = FIELD_OF_MODEL.get((field or "").split(".")[0])
        if name is not None:
            self._show_error(name, message)
            self._focus_first_error()
        self._summary(message)
        self.notify(
            message, title=title or _("Not saved"), severity="error", timeout=10, markup=False
        )

    def action_close(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                _("Discard the changes?"),
                _("This activity has unsaved changes."),
                confirm_label=_("Discard changes"),
                cancel_label=_("Keep editing"),
                danger=True,
            ),
            answered,
        )


def _moment_text(moment: datetime) -> str:
    """A date and time as the form shows it (and :func:`parse_datetime` reads it back)."""
    return f"{format_date(moment.date())} {_time_text(moment)}"
