"""Record what happened at an activity: done (with how many came) or cancelled, and notes.

The dialog saves through :meth:`Registry.record_activity`, which owns the
rule that only an activity that took place has an attendance. The notes go
in the same transaction, so a refused save leaves the store untouched; a
refusal is shown inside the dialog, which stays open to fix it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)

from patti.core.dates import format_datetime
from patti.core.errors import PattiError
from patti.core.i18n import N_, _
from patti.core.model import Activity, ActivityStatus
from patti.core.services import Registry
from patti.core.text import clean_text

from ..localise import localise_bindings

MAX_ATTENDANCE = 100_000
"""More people than this at a community activity is a typing slip, not a crowd."""


def parse_attendance(text: str) -> int | None:
    """The attendance typed by the operator (empty: not counted); ``ValueError`` says why not."""
    text = text.strip()
    if not text:
        return None
    try:
        count = int(text)
    except ValueError:
        raise ValueError(_("Attendance is a whole number of people, such as 24.")) from None
    if count < 0:
        raise ValueError(_("Attendance cannot be negative."))
    if count > MAX_ATTENDANCE:
        raise ValueError(
            _("More than {max} people is not plausible: check the number.").format(
                max=MAX_ATTENDANCE
            )
        )
    return count


class AttendanceValidator(Validator):
    """Inline check of the attendance field, with the same rules as the save."""

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_attendance(value)
        except ValueError as exc:
            return self.failure(str(exc))
        return self.success()


def record(
    registry: Registry,
    activity: Activity,
    status: ActivityStatus,
    attendance: int | None,
    notes: str,
) -> Activity:
    """Save the outcome and the notes as one write, from the revision the operator saw."""
    activity_id = activity.id or 0
    with registry.store.transaction():
        saved = registry.record_activity(
            activity_id, status=status, attendance=attendance, revision=activity.revision
        )
        if notes.strip() != saved.notes:
            saved = registry.update_activity(activity_id, saved.revision, notes=notes)
    return saved


class RecordActivityDialog(ModalScreen[Activity | None]):
    """Done or cancelled, attendance and notes; dismisses with the saved activity or ``None``."""

    DEFAULT_CSS = """
    RecordActivityDialog {
        align: center middle;
    }
    RecordActivityDialog > #record-box {
        width: 76;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    RecordActivityDialog #record-title {
        text-style: bold;
    }
    RecordActivityDialog #record-subject {
        color: $text-muted;
        margin-bottom: 1;
    }
    RecordActivityDialog RadioSet {
        width: 100%;
        layout: horizontal;
    }
    RecordActivityDialog .field-label {
        margin-top: 1;
    }
    RecordActivityDialog .field-error {
        color: $error;
        height: auto;
    }
    RecordActivityDialog #record-notes {
        height: 6;
    }
    RecordActivityDialog #record-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    RecordActivityDialog #record-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="record.save"),
        Binding("escape", "back", N_("Back"), id="record.back"),
    ]

    def __init__(self, registry: Registry, activity: Activity) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self.activity = activity

    def compose(self) -> ComposeResult:
        activity = self.activity
        cancelled = activity.status is ActivityStatus.CANCELLED
        with VerticalScroll(id="record-box"):
            yield Static(Content(_("Record the activity")), id="record-title")
            yield Static(
                Content(f"{format_datetime(activity.starts_at)} · {activity.title}"),
                id="record-subject",
            )
            with RadioSet(id="record-outcome"):
                yield RadioButton(_("Done"), value=not cancelled, id="record-done")
                yield RadioButton(
                    ActivityStatus.CANCELLED.label, value=cancelled, id="record-cancelled"
                )
            yield Label(_("Attendance"), classes="field-label")
            yield Input(
                "" if activity.attendance is None else str(activity.attendance),
                placeholder=_("people present, e.g. 24; empty if not counted"),
                validators=[AttendanceValidator()],
                validate_on=["changed", "submitted"],
                disabled=cancelled,
                id="record-attendance",
            )
            yield Static(classes="field-error", id="record-attendance-error")
            yield Label(_("Notes"), classes="field-label")
            yield TextArea(activity.notes, id="record-notes")
            yield Static(classes="field-error", id="record-error")
            with Horizontal(id="record-buttons"):
                yield Button(Content(_("Back")), id="record-back")
                yield Button(Content(_("Save")), variant="primary", id="record-save")
        yield Footer()  # a modal hides the screen's footer: the dialog shows its own keys

    def on_mount(self) -> None:
        attendance = self.query_one("#record-attendance", Input)
        if attendance.disabled:
            self.query_one("#record-outcome", RadioSet).focus()
        else:
            attendance.focus()

    @property
    def status(self) -> ActivityStatus:
        """The outcome chosen: done unless "Cancelled" is pressed."""
        pressed = self.query_one("#record-outcome", RadioSet).pressed_button
        if pressed is not None and pressed.id == "record-cancelled":
            return ActivityStatus.CANCELLED
        return ActivityStatus.DONE

    def _error(self, selector: str, message: str) -> None:
        self.query_one(selector, Static).update(Content(message))

    @on(RadioSet.Changed, "#record-outcome")
    def _outcome_changed(self, event: RadioSet.Changed) -> None:
        # A cancelled activity had no audience: attendance does not apply to it.
        attendance = self.query_one("#record-attendance", Input)
        attendance.disabled = self.status is ActivityStatus.CANCELLED
        if attendance.disabled:
            self._error("#record-attendance-error", "")

    @on(Input.Changed, "#record-attendance")
    def _attendance_changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        message = "" if result is None or result.is_valid else result.failure_descriptions[0]
        self._error("#record-attendance-error", message)

    @on(Input.Submitted, "#record-attendance")
    def _attendance_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#record-save")
    def _pressed_save(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#record-back")
    def _pressed_back(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        """Check the attendance here, then let the service check the rest; save or say why."""
        status = self.status
        attendance: int | None = None
        if status is ActivityStatus.DONE:
            field = self.query_one("#record-attendance", Input)
            try:
                attendance = parse_attendance(field.value)
            except ValueError as exc:
                self._error("#record-attendance-error", str(exc))
                field.focus()
                return
        notes = self.query_one("#record-notes", TextArea).text
        try:
            saved = record(self.registry, self.activity, status, attendance, notes)
        except PattiError as exc:
            self._error("#record-error", clean_text(str(exc)))
            return
        self.dismiss(saved)
