"""Step 7 (referees): name and change referees, send and resend invitations; only "received" is ever shown."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form, FormField, SelectField, StringField
from wtforms.validators import Length

from portal.applications import invitations, services
from portal.applications.forms import StepForm, with_blank
from portal.applications.models import RELATION_LABELS, Application
from portal.applications.steps import step_by_key, step_statuses
from portal.applications.views import applicant_only, bp, own_application
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.timeutil import utcnow
from portal.extensions import limiter

# The forms of this step live here: applications/forms.py belongs to the other steps.


def relation_options():
    return with_blank(list(RELATION_LABELS.items()))


def _too_long(limit: int):
    return Length(max=limit, message=_l("Please use at most %(limit)d characters.", limit=limit))


class RefereeEntryForm(Form):
    """One referee; every field may stay blank in a draft, but a started entry must be complete."""

    name = StringField(
        _l("Name"),
        validators=[_too_long(invitations.MAX_LENGTHS["name"])],
        description=_l("With academic title, for example: Prof. Dr. Li Hua"),
    )
    email = StringField(
        _l("Email address"),
        validators=[_too_long(invitations.MAX_LENGTHS["email"])],
        description=_l("Preferably the address at the referee's institution."),
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    institution = StringField(_l("Institution"), validators=[_too_long(invitations.MAX_LENGTHS["institution"])])
    relation = SelectField(_l("How does this referee know you?"), choices=relation_options, validate_choice=False)
    language = SelectField(
        _l("Language of the emails to this referee"),
        choices=lambda: list(LANGUAGE_NAMES.items()),
        validate_choice=False,
    )


class RefereesForm(StepForm):
    referee1 = FormField(RefereeEntryForm, label=_l("First referee"))
    referee2 = FormField(RefereeEntryForm, label=_l("Second referee"))

    def entry(self, position: int) -> FormField:
        return self[f"referee{position}"]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for position in invitations.POSITIONS:
            fields = [f for f in self.entry(position).form if f.short_name in invitations.REFEREE_FIELDS]
            if any((f.data or "").strip() for f in fields):
                for f in fields:
                    if not (f.data or "").strip() and not f.errors:
                        f.errors.append(_("Please fill in this field."))
                        valid = False
        return valid

    def entries(self) -> dict[int, dict]:
        return {position: dict(self.entry(position).data) for position in invitations.POSITIONS}


def _render(application: Application, form: RefereesForm):
    return render_template(
        "applications/step_referees.html",
        application=application,
        form=form,
        step=step_by_key("referees"),
        statuses=step_statuses(application),
        referees={position: invitations.referee_at(application, position) for position in invitations.POSITIONS},
        changeable=invitations.can_change_referees(application, utcnow()),
        max_invitations=invitations.MAX_INVITATIONS,
    )


@bp.route("/<int:application_id>/referees", methods=["GET", "POST"])
@applicant_only
def step_referees(application_id: int):
    application = own_application(application_id)
    if request.method == "GET":
        form = RefereesForm(
            referee1=invitations.referee_at(application, 1),
            referee2=invitations.referee_at(application, 2),
            version=application.version,
        )
        for position in invitations.POSITIONS:
            if invitations.referee_at(application, position) is None:  # a new referee: the applicant's language
                form.entry(position).language.data = application.applicant.language
        return _render(application, form)
    form = RefereesForm()
    if form.validate_on_submit():
        try:
            result = invitations.save_referees(
                application, form.entries(), expected_version=form.expected_version, now=utcnow()
            )
        except services.StaleApplication as error:
            flash(str(error), "warning")
            form.version.data = str(services.refreshed(application).version)
        except invitations.RefereeError as error:
            target = form.entry(error.position).form[error.field] if error.position and error.field else None
            (target.errors.append(str(error)) if target is not None else flash(str(error), "danger"))
        else:
            flash(_("Saved."), "success")
            for referee in result.invited:
                flash(_("An invitation has been sent to %(email)s.", email=referee.email), "info")
            if form.save_continue.data and application.is_draft:
                return redirect(url_for("applications.submit", application_id=application.id))
            return redirect(url_for("applications.step_referees", application_id=application.id))
    return _render(application, form)


@bp.post("/<int:application_id>/referees/<int:position>/invite")
@limiter.limit(lambda: current_app.config["MAIL_REQUEST_LIMIT"])
@applicant_only
def invite_referee(application_id: int, position: int):
    application = own_application(application_id)
    try:
        referee = invitations.invite(application, position, now=utcnow())
    except invitations.RefereeError as error:
        flash(str(error), "danger")
    else:
        flash(
            _(
                "An invitation has been sent to %(email)s. An earlier link, if any, no longer works.",
                email=referee.email,
            ),
            "success",
        )
    return redirect(url_for("applications.step_referees", application_id=application.id))
