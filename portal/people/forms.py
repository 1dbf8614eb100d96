"""Forms of the people pages: invitation, profile, seat, roles, activation, search, and the supervisor import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import ROLE_LABELS, Role
from portal.people.directory import STATUSES
from portal.people.profiles import ProfileData
from portal.people.services import INVITABLE_ROLES, Invitation
from portal.supervisors.models import RESEARCH_FIELD_LABELS, ResearchField, University
from portal.supervisors.services import MAX_CAPACITY, list_universities

STATUS_LABELS = {
    "active": _l("Active"),
    "invited": _l("Invited, no password yet"),
    "inactive": _l("Deactivated"),
}


def university_choices() -> list[tuple[str, str]]:
    return [(university.code, f"{university.name} ({university.code})") for university in list_universities()]


def field_choices() -> list[tuple[str, object]]:
    return [(field.value, label) for field, label in RESEARCH_FIELD_LABELS.items()]


class ProfileFieldsMixin:
    """A supervisor's directory entry."""

    university = SelectField(_l("University"), choices=university_choices, validators=[DataRequired()])
    title = StringField(_l("Academic title"), validators=[Length(max=100)], description=_l("For example: Prof. Dr."))
    department = StringField(_l("Department or institute"), validators=[Length(max=200)])
    research_areas = TextAreaField(_l("Research areas"), validators=[Length(max=2000)], render_kw={"rows": 3})
    languages = StringField(
        _l("Languages of supervision"), validators=[Length(max=200)], description=_l("For example: de, en, zh")
    )
    capacity = IntegerField(
        _l("Capacity"),
        default=2,
        validators=[
            InputRequired(message=_l("Please enter a number.")),
            NumberRange(
                min=0, max=MAX_CAPACITY, message=_l("Please enter a whole number from 0 to %(max)d.", max=MAX_CAPACITY)
            ),
        ],
        description=_l("How many candidates of a round the supervisor can take on (both sides of a pair count)."),
    )
    accepting_candidates = BooleanField(_l("Accepting new candidates"), default=True)
    fields = SelectMultipleField(
        _l("Research fields"),
        choices=field_choices,
        validators=[Optional()],
        description=_l("Hold Ctrl (or ⌘) to choose several."),
    )

    def profile_data(self, university: University) -> ProfileData:
        """The directory entry as typed, at the university (looked up from the form's code)."""
        return ProfileData(
            university=university,
            title=self.title.data or "",
            department=self.department.data or "",
            research_areas=self.research_areas.data or "",
            languages=self.languages.data or "",
            capacity=self.capacity.data,
            accepting_candidates=bool(self.accepting_candidates.data),
            fields=tuple(ResearchField(value) for value in self.fields.data or []),
        )


class InviteForm(ProfileFieldsMixin, FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(
        _l("Full name"),
        validators=[Length(max=200)],
        description=_l("Needed for a new account; an existing account keeps its name."),
    )
    role = RadioField(
        _l("Invite as"),
        choices=lambda: [(role.value, ROLE_LABELS[role]) for role in INVITABLE_ROLES],
        default=Role.SUPERVISOR.value,
        validators=[DataRequired()],
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=lambda: list(LANGUAGE_NAMES.items()),
        default="en",
        description=_l("Also the language of the portal's emails to this person."),
    )
    submit = SubmitField(_l("Send the invitation"))

    def invitation(self, university: University) -> Invitation:
        """Who is invited as what; a supervisor with the profile typed in."""
        role = Role(self.role.data)
        return Invitation(
            email=self.email.data,
            name=self.name.data or "",
            role=role,
            language=self.language.data,
            university=university,
            profile=self.profile_data(university) if role == Role.SUPERVISOR else None,
        )


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    submit = SubmitField(_l("Save the profile"))


class SeatForm(FlaskForm):
    university = SelectField(_l("Committee seat at"), choices=university_choices, validators=[DataRequired()])
    submit = SubmitField(_l("Save the seat"))


class GrantRoleForm(FlaskForm):
    role = SelectField(
        _l("Grant a role"),
        choices=lambda: [(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Grant"))

    @classmethod
    def for_person(cls, user) -> GrantRoleForm:
        """The form offering the roles the person does not hold yet."""
        form = cls()
        form.role.choices = [(role.value, role.label) for role in Role if not user.has_role(role)]
        return form


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""

    submit = SubmitField(_l("Confirm"))


class PeopleSearchForm(FlaskForm):
    """The people list's search (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=lambda: [("", _l("Any role")), *((role.value, label) for role, label in ROLE_LABELS.items())],
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=lambda: [("", _l("Any status")), *((status, STATUS_LABELS[status]) for status in STATUSES)],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Search"))


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Please choose a file."))],
        description=_l("UTF-8 encoded, with a header line; nothing is saved before you confirm the preview."),
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField(_l("Check the file"))


class ImportConfirmForm(FlaskForm):
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Import these supervisors"))
