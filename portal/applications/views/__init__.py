"""The applicant's pages: start, overview, submission and withdrawal here; the steps, the documents and the referees
in the modules of this package, all on one blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.applications import services, workflow
from portal.applications.forms import ApplicationForm, StartForm, StepForm, SubmitForm, WithdrawForm
from portal.applications.models import Application
from portal.applications.panels import status_panels
from portal.applications.permissions import application_for, can_view, is_owner
from portal.applications.steps import STEPS, step_by_key, step_statuses
from portal.core.operations import Outcome, attempt
from portal.core.permissions import applicant_only, login_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.supervisors.models import RESEARCH_FIELD_LABELS
from portal.supervisors.services import list_universities

bp = Blueprint("applications", __name__, url_prefix="/application")

T = TypeVar("T")


def own_application(application_id: int) -> Application:
    """The signed-in applicant's own application; 404 for anyone else's."""
    return application_for(current_user, application_id, is_owner)


def editable_application(application_id: int) -> Application:
    """The signed-in applicant's own application while it may still change; otherwise its overview, with the reason
    the one editability rule gives (the services refuse with it too)."""
    application = own_application(application_id)
    reason = services.edit_refusal(application, utcnow())
    if reason is not None:
        flash(reason, "warning")
        abort(redirect(url_for("applications.overview", application_id=application.id)))
    return application


def save_sent(form: ApplicationForm, save: Callable[..., T]) -> Outcome[T] | None:
    """When the form was sent and is valid, `save` it (given the form's version and the time): the outcome, true on
    success; a refusal is shown on the form, every typed value kept, nothing of the request saved."""
    if not form.validate_on_submit():
        return None
    return attempt(lambda: save(expected_version=form.expected_version, now=utcnow()), form)


def next_step_url(application: Application, key: str) -> str:
    """Where "Save and continue" leads from the step key: the next step, after the last one the submit page."""
    keys = [step.key for step in STEPS]
    following = keys.index(key) + 1
    if following < len(keys):
        return url_for(STEPS[following].endpoint, application_id=application.id)
    return url_for("applications.submit", application_id=application.id)


def render_step(application: Application, key: str, form: StepForm, **context):
    """The page of the step key, with the steps' navigation and what each still misses."""
    return render_template(
        f"applications/step_{key}.html",
        application=application,
        form=form,
        step=step_by_key(key),
        statuses=step_statuses(application),
        **context,
    )


@bp.get("/")
@applicant_only
def index():
    intake = services.current_round(utcnow())
    mine = services.application_in_round(current_user, intake) if intake is not None else None
    if mine is not None:
        return redirect(url_for("applications.overview", application_id=mine.id))
    applications = services.applications_of(current_user)
    return render_template(
        "applications/index.html", intake=intake, applications=applications, form=StartForm(), now=utcnow()
    )


@bp.post("/start")
@applicant_only
def start():
    started = attempt(lambda: services.start_application(current_user, services.current_round(utcnow()), utcnow()))
    if not started:
        return redirect(url_for("applications.index"))
    return redirect(url_for("applications.step_personal", application_id=started.value.id))


@bp.get("/<int:application_id>")
@login_required
def overview(application_id: int):
    application = application_for(current_user, application_id, can_view)
    return render_template(
        "applications/overview.html",
        application=application,
        statuses=step_statuses(application),
        panels=status_panels(application),
        closed=services.edit_refusal(application, utcnow()) if application.is_draft else None,
    )


def _submit_page(application: Application, form: SubmitForm):
    return render_template(
        "applications/submit.html",
        application=application,
        form=form,
        statuses=step_statuses(application),
        refusal=services.edit_refusal(application, utcnow()),  # why there is no submit button, if there is none
    )


@bp.route("/<int:application_id>/submit", methods=["GET", "POST"])
@applicant_only
def submit(application_id: int):
    application = own_application(application_id)
    form = SubmitForm.for_page(application)
    if not form.validate_on_submit():
        return _submit_page(application, form)
    # A refusal is flashed on the submit page the applicant comes back to: the declaration is their only entry.
    declared, version = form.declaration.data, form.expected_version
    if not attempt(lambda: workflow.submit(application, declaration=declared, expected_version=version, now=utcnow())):
        return redirect(url_for("applications.submit", application_id=application.id))
    thanks = _(
        "Thank you! Your application has been submitted. Its reference number is %(reference)s.",
        reference=application.reference,
    )
    flash(thanks, "success")
    return redirect(url_for("applications.overview", application_id=application.id))


@bp.route("/<int:application_id>/withdraw", methods=["GET", "POST"])
@applicant_only
def withdraw(application_id: int):
    application = own_application(application_id)
    form = WithdrawForm.for_page(application)
    if form.validate_on_submit():
        withdrawn = attempt(
            lambda: workflow.withdraw(application, expected_version=form.expected_version, now=utcnow())
        )
        if withdrawn:
            flash(_("Your application has been withdrawn."), "info")
        return redirect(url_for("applications.overview", application_id=application.id))
    return render_template("applications/withdraw.html", application=application, form=form)


@bp.context_processor
def step_page_helpers() -> dict:
    return {
        "universities": list_universities,
        "research_fields": lambda: [(field.value, label) for field, label in RESEARCH_FIELD_LABELS.items()],
    }


register_nav_item("applications.index", _l("My application"), roles=(Role.APPLICANT,), order=20)


# The steps, the documents and the referees live in modules of their own on the same blueprint.
from portal.applications.views import documents, referees, steps  # noqa: E402, F401
