"""The applicant's pages: start, the steps, overview, submission, withdrawal."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import db
from portal.applications import services, workflow
from portal.applications.forms import (
    EducationForm,
    LanguagesForm,
    PersonalForm,
    ProposalForm,
    StartForm,
    StepForm,
    SubmitForm,
    SupervisorsForm,
    WithdrawForm,
    with_blank,
)
from portal.applications.models import Application
from portal.applications.permissions import application_for, can_view, is_owner
from portal.applications.steps import STEPS, step_by_key, step_statuses
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.supervisors.models import RESEARCH_FIELD_LABELS
from portal.supervisors.services import list_universities

bp = Blueprint("applications", __name__, url_prefix="/application")

applicant_only = roles_required(Role.APPLICANT)


def own_application(application_id: int) -> Application:
    """The signed-in applicant's own application; 404 for anyone else's."""
    return application_for(current_user, application_id, is_owner)


def next_step_url(application: Application, key: str) -> str:
    keys = [step.key for step in STEPS]
    following = keys.index(key) + 1
    if following < len(keys):
        return url_for(STEPS[following].endpoint, application_id=application.id)
    return url_for("applications.submit", application_id=application.id)


def render_step(application: Application, key: str, form: StepForm, **context):
    return render_template(
        f"applications/step_{key}.html",
        application=application,
        form=form,
        step=step_by_key(key),
        statuses=step_statuses(application),
        **context,
    )


def handle_step(application: Application, key: str, form: StepForm, save: Callable[[], None], **context):
    """The common POST handling of a step: save, or show why not with every typed value kept."""
    if not application.is_draft or not application.intake_round.is_open(utcnow()):
        flash(_("This application can no longer be changed."), "warning")
        return redirect(url_for("applications.overview", application_id=application.id))
    if form.validate_on_submit():
        try:
            save()
        except services.StaleApplication as error:
            flash(str(error), "warning")
            form.version.data = str(services.refreshed(application).version)
        except services.ApplicationError as error:
            db.session.rollback()  # the page shows the stored application, not the refused change
            target = getattr(form, error.field, None) if error.field else None
            (target.errors.append(str(error)) if target is not None else flash(str(error), "danger"))
        else:
            flash(_("Saved."), "success")
            if form.save_continue.data:
                return redirect(next_step_url(application, key))
            return redirect(request.path)
    elif request.method == "GET":
        form.version.data = str(application.version)
    return render_step(application, key, form, **context)


def simple_step(application_id: int, key: str, form_class: type[StepForm]):
    """A step whose fields map one to one onto the application's columns."""
    application = own_application(application_id)
    form = form_class(obj=application if request.method == "GET" else None)
    return handle_step(
        application,
        key,
        form,
        lambda: services.save_step(application, key, form.data, expected_version=form.expected_version, now=utcnow()),
    )


@bp.get("/")
@applicant_only
def index():
    intake = services.current_round(utcnow())
    applications = services.applications_of(current_user)
    if intake is not None and any(a.round_id == intake.id for a in applications):
        mine = next(a for a in applications if a.round_id == intake.id)
        return redirect(url_for("applications.overview", application_id=mine.id))
    return render_template(
        "applications/index.html", intake=intake, applications=applications, form=StartForm(), now=utcnow()
    )


@bp.post("/start")
@applicant_only
def start():
    intake = services.current_round(utcnow())
    if StartForm().validate_on_submit() and intake is not None:
        try:
            application = services.start_application(current_user, intake, utcnow())
        except services.ApplicationError as error:
            flash(str(error), "danger")
        else:
            return redirect(url_for("applications.step_personal", application_id=application.id))
    return redirect(url_for("applications.index"))


@bp.get("/<int:application_id>")
@roles_required()
def overview(application_id: int):
    application = application_for(current_user, application_id, can_view)
    return render_template(
        "applications/overview.html",
        application=application,
        statuses=step_statuses(application),
        now=utcnow(),
        withdraw_form=WithdrawForm(version=application.version),
    )


@bp.route("/<int:application_id>/personal", methods=["GET", "POST"])
@applicant_only
def step_personal(application_id: int):
    application = own_application(application_id)
    form = PersonalForm(obj=application if request.method == "GET" else None)
    if request.method == "GET":
        form.privacy_consent.data = application.privacy_consent_at is not None
        form.transfer_consent.data = application.transfer_consent_at is not None
    return handle_step(
        application,
        "personal",
        form,
        lambda: services.save_step(
            application, "personal", form.data, expected_version=form.expected_version, now=utcnow()
        ),
    )


@bp.route("/<int:application_id>/education", methods=["GET", "POST"])
@applicant_only
def step_education(application_id: int):
    application = own_application(application_id)
    form = StepForm()
    entry_form = EducationForm(prefix="degree", version=application.version)
    return handle_step(application, "education", form, lambda: None, entry_form=entry_form)


@bp.post("/<int:application_id>/education/add")
@applicant_only
def add_education(application_id: int):
    application = own_application(application_id)
    entry_form = EducationForm(prefix="degree")
    if entry_form.validate_on_submit():
        try:
            services.add_education(
                application, entry_form.data, expected_version=entry_form.expected_version, now=utcnow()
            )
        except services.ApplicationError as error:
            db.session.rollback()
            target = getattr(entry_form, error.field, None) if error.field else None
            (target.errors.append(str(error)) if target is not None else flash(str(error), "danger"))
        else:
            flash(_("The degree has been added."), "success")
            return redirect(url_for("applications.step_education", application_id=application.id))
    form = StepForm(version=services.refreshed(application).version)
    entry_form.version.data = str(application.version)
    return render_step(application, "education", form, entry_form=entry_form)


@bp.post("/<int:application_id>/education/<int:education_id>/remove")
@applicant_only
def remove_education(application_id: int, education_id: int):
    application = own_application(application_id)
    form = StepForm()
    try:
        services.remove_education(application, education_id, expected_version=form.expected_version, now=utcnow())
    except services.ApplicationError as error:
        flash(str(error), "danger")
    else:
        flash(_("The degree has been removed."), "success")
    return redirect(url_for("applications.step_education", application_id=application.id))


@bp.route("/<int:application_id>/languages", methods=["GET", "POST"])
@applicant_only
def step_languages(application_id: int):
    return simple_step(application_id, "languages", LanguagesForm)


@bp.route("/<int:application_id>/proposal", methods=["GET", "POST"])
@applicant_only
def step_proposal(application_id: int):
    return simple_step(application_id, "proposal", ProposalForm)


@bp.route("/<int:application_id>/supervisors", methods=["GET", "POST"])
@applicant_only
def step_supervisors(application_id: int):
    application = own_application(application_id)
    form = SupervisorsForm(obj=application if request.method == "GET" else None)
    # The search is part of the step's form: filtering re-shows the page with everything typed, saving nothing.
    source = request.form if request.method == "POST" else request.args
    filters = services.DirectoryFilter(
        text=source.get("q", "")[:100], university=source.get("university", ""), field=source.get("field", "")
    )
    choices = services.supervisor_choices(application, filters)
    form.german_supervisor.choices = with_blank(choices.german)
    form.chinese_supervisor.choices = with_blank(choices.chinese)
    if request.method == "GET":
        form.german_supervisor.data = application.german_supervisor_id
        form.chinese_supervisor.data = application.chinese_supervisor_id
    if form.search.data:
        return render_step(application, "supervisors", form, filters=filters, entries=choices.entries)
    return handle_step(
        application,
        "supervisors",
        form,
        lambda: services.choose_supervisors(
            application,
            german_id=form.german_supervisor.data,
            chinese_id=form.chinese_supervisor.data,
            motivation=form.supervisor_motivation.data,
            expected_version=form.expected_version,
            now=utcnow(),
        ),
        filters=filters,
        entries=choices.entries,
    )


@bp.route("/<int:application_id>/submit", methods=["GET", "POST"])
@applicant_only
def submit(application_id: int):
    application = own_application(application_id)
    form = SubmitForm(version=application.version) if request.method == "GET" else SubmitForm()
    if form.validate_on_submit():
        try:
            workflow.submit(
                application, declaration=form.declaration.data, expected_version=form.expected_version, now=utcnow()
            )
        except services.ApplicationError as error:
            flash(str(error), "danger")
            return redirect(url_for("applications.submit", application_id=application.id))
        flash(
            _(
                "Thank you! Your application has been submitted. Its reference number is %(reference)s.",
                reference=application.reference,
            ),
            "success",
        )
        return redirect(url_for("applications.overview", application_id=application.id))
    return render_template(
        "applications/submit.html",
        application=application,
        form=form,
        statuses=step_statuses(application),
        now=utcnow(),
    )


@bp.route("/<int:application_id>/withdraw", methods=["GET", "POST"])
@applicant_only
def withdraw(application_id: int):
    application = own_application(application_id)
    form = WithdrawForm(version=application.version) if request.method == "GET" else WithdrawForm()
    if form.validate_on_submit():
        try:
            workflow.withdraw(application, expected_version=form.expected_version, now=utcnow())
        except services.ApplicationError as error:
            flash(str(error), "danger")
        else:
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


# The steps with files and referees, and the downloads, live in modules of their own on the same blueprint.
from portal.applications import document_views, referee_views  # noqa: E402, F401
