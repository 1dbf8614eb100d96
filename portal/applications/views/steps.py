"""Steps 1 to 5: personal data, education, languages, research proposal, co-supervisors."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import flash, get_flashed_messages, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from portal.applications import services
from portal.applications.forms import (
    EducationForm,
    LanguagesForm,
    PersonalForm,
    ProposalForm,
    StepForm,
    SupervisorsForm,
)
from portal.applications.models import Application, ApplicationState
from portal.applications.views import bp, editable_application, next_step_url, own_application, render_step, save_sent
from portal.core.formstate import read_only, started
from portal.core.kept_posts import is_autosave, keeps_typed_text, take_kept_post
from portal.core.operations import attempt
from portal.core.permissions import applicant_only
from portal.core.timeutil import utcnow
from portal.core.versions import StaleVersion
from portal.supervisors.services import DirectoryFilter

UNFINISHED_DEGREE = _l(
    "The degree in the box “Add a degree” has not been added yet: please complete it, or empty the box, and save again."
)


def step_application(application_id: int) -> tuple[Application, str | None]:
    """The applicant's own draft and why it can no longer change (None while it can): after the deadline the step
    still shows what was typed, read-only; a submitted application leads to its overview."""
    application = own_application(application_id)
    refusal = services.edit_refusal(application, utcnow())
    if refusal is not None and application.state != ApplicationState.DRAFT:
        return editable_application(application_id), None  # redirects with the reason
    return application, refusal


def autosaved(application: Application, form: StepForm, save: Callable[..., object]):
    """The answer to a page saving itself in the background: the new version and a fresh CSRF token (a page open
    for hours outlives its token), or why it was not saved (a stale form stops saving itself: the other save wins)."""
    outcome = save_sent(form, save)
    if outcome:
        return jsonify(saved=True, version=application.version, csrf=generate_csrf())
    errors = [str(error) for field in form for error in field.errors]
    errors += [str(message) for message in get_flashed_messages()]
    stale = outcome is not None and isinstance(outcome.error, StaleVersion)
    return jsonify(saved=False, stale=stale, errors=errors), 409


def handle_step(application: Application, key: str, form: StepForm, save: Callable[..., object], **context):
    """Save the step and go on, or show it again with the refusal and every typed value kept; after the deadline
    (`closed`) show what was typed, read-only, with the reason."""
    closed = context.pop("closed", None)
    if closed is not None and is_autosave():
        return jsonify(saved=False, stale=False, closed=True, errors=[closed]), 409
    if closed is not None:
        flash(closed, "warning")
        return render_step(application, key, read_only(form), closed=closed, **context)
    if is_autosave():
        return autosaved(application, form, save)
    if save_sent(form, save):
        flash(_("Saved."), "success")
        return redirect(next_step_url(application, key) if form.save_continue.data else request.path)
    return render_step(application, key, form, **context)


def education_forms(application: Application) -> tuple[StepForm, EducationForm]:
    """The education step's form and its "add a degree" box: as sent, as kept from a refused post, or fresh."""
    kept = take_kept_post(request.path) if request.method == "GET" else None
    if kept is not None:
        return StepForm(formdata=kept), EducationForm(formdata=kept, prefix="degree")
    if request.method == "GET":
        return StepForm.for_page(application), EducationForm.blank(application, prefix="degree")
    return StepForm(), EducationForm(prefix="degree")


def simple_step(application_id: int, key: str, form_class: type[StepForm]):
    """A step whose fields map one to one onto the application's columns."""
    application, closed = step_application(application_id)
    form = form_class.for_page(application)
    save = partial(services.save_step, application, key, form.data)
    return handle_step(application, key, form, save, closed=closed)


@bp.route("/<int:application_id>/personal", methods=["GET", "POST"])
@applicant_only
@keeps_typed_text
def step_personal(application_id: int):
    return simple_step(application_id, "personal", PersonalForm)


@bp.route("/<int:application_id>/education", methods=["GET", "POST"])
@applicant_only
@keeps_typed_text
def step_education(application_id: int):
    application, closed = step_application(application_id)
    form, entry_form = education_forms(application)
    # A filled "add a degree" box is added with the step, or named in an error: never silently dropped.
    if closed is None and form.is_submitted() and started(entry_form) and not entry_form.validate():
        flash(UNFINISHED_DEGREE, "warning")
        return render_step(application, "education", form, entry_form=entry_form)
    if started(entry_form):
        save = partial(services.add_education, application, entry_form.data)
    else:
        save = partial(services.ensure_editable, application)  # the degrees are saved one by one
    entry_form = read_only(entry_form) if closed else entry_form
    return handle_step(application, "education", form, save, entry_form=entry_form, closed=closed)


@bp.post("/<int:application_id>/education/add")
@applicant_only
def add_education(application_id: int):
    application = editable_application(application_id)
    entry_form = EducationForm(prefix="degree")
    if save_sent(entry_form, lambda **when: services.add_education(application, entry_form.data, **when)):
        flash(_("The degree has been added."), "success")
        return redirect(url_for("applications.step_education", application_id=application.id))
    return render_step(application, "education", StepForm.blank(application), entry_form=entry_form)


@bp.post("/<int:application_id>/education/<int:education_id>/remove")
@applicant_only
def remove_education(application_id: int, education_id: int):
    application = editable_application(application_id)
    version = StepForm().expected_version
    if attempt(lambda: services.remove_education(application, education_id, expected_version=version, now=utcnow())):
        flash(_("The degree has been removed."), "success")
    return redirect(url_for("applications.step_education", application_id=application.id))


@bp.route("/<int:application_id>/languages", methods=["GET", "POST"])
@applicant_only
@keeps_typed_text
def step_languages(application_id: int):
    return simple_step(application_id, "languages", LanguagesForm)


@bp.route("/<int:application_id>/proposal", methods=["GET", "POST"])
@applicant_only
@keeps_typed_text
def step_proposal(application_id: int):
    return simple_step(application_id, "proposal", ProposalForm)


@bp.route("/<int:application_id>/supervisors", methods=["GET", "POST"])
@applicant_only
@keeps_typed_text
def step_supervisors(application_id: int):
    application, closed = step_application(application_id)
    form = SupervisorsForm.for_page(application)
    # The search is part of the step's form: filtering re-shows the page with everything typed, saving nothing.
    filters = DirectoryFilter.from_values(request.form if request.method == "POST" else request.args)
    choices = services.supervisor_choices(application, filters)
    form.offer(choices)
    context = {"filters": filters, "entries": choices.entries}
    if form.search.data and closed is None:
        return render_step(application, "supervisors", form, **context)
    choose = partial(services.choose_supervisors, application, **form.choice())
    return handle_step(application, "supervisors", form, choose, closed=closed, **context)
