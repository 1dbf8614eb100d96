"""Steps 1 to 5: personal data, education, languages, research proposal, co-supervisors."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.applications import services
from portal.applications.forms import (
    EducationForm,
    LanguagesForm,
    PersonalForm,
    ProposalForm,
    StepForm,
    SupervisorsForm,
)
from portal.applications.models import Application
from portal.applications.views import bp, editable_application, next_step_url, render_step, save_sent
from portal.core.operations import attempt
from portal.core.permissions import applicant_only
from portal.core.timeutil import utcnow
from portal.supervisors.services import DirectoryFilter


def handle_step(application: Application, key: str, form: StepForm, save: Callable[..., object], **context):
    """Save the step and go on, or show it again with the refusal and every typed value kept."""
    if save_sent(form, save):
        flash(_("Saved."), "success")
        return redirect(next_step_url(application, key) if form.save_continue.data else request.path)
    return render_step(application, key, form, **context)


def simple_step(application_id: int, key: str, form_class: type[StepForm]):
    """A step whose fields map one to one onto the application's columns."""
    application = editable_application(application_id)
    form = form_class.for_page(application)
    return handle_step(application, key, form, lambda **when: services.save_step(application, key, form.data, **when))


@bp.route("/<int:application_id>/personal", methods=["GET", "POST"])
@applicant_only
def step_personal(application_id: int):
    return simple_step(application_id, "personal", PersonalForm)


@bp.route("/<int:application_id>/education", methods=["GET", "POST"])
@applicant_only
def step_education(application_id: int):
    application = editable_application(application_id)
    form, entry_form = StepForm.for_page(application), EducationForm.blank(application, prefix="degree")
    confirm = partial(services.ensure_editable, application)  # the degrees are saved one by one
    return handle_step(application, "education", form, confirm, entry_form=entry_form)


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
def step_languages(application_id: int):
    return simple_step(application_id, "languages", LanguagesForm)


@bp.route("/<int:application_id>/proposal", methods=["GET", "POST"])
@applicant_only
def step_proposal(application_id: int):
    return simple_step(application_id, "proposal", ProposalForm)


@bp.route("/<int:application_id>/supervisors", methods=["GET", "POST"])
@applicant_only
def step_supervisors(application_id: int):
    application = editable_application(application_id)
    form = SupervisorsForm.for_page(application)
    # The search is part of the step's form: filtering re-shows the page with everything typed, saving nothing.
    filters = DirectoryFilter.from_values(request.form if request.method == "POST" else request.args)
    choices = services.supervisor_choices(application, filters)
    form.offer(choices)
    context = {"filters": filters, "entries": choices.entries}
    if form.search.data:
        return render_step(application, "supervisors", form, **context)
    choose = partial(services.choose_supervisors, application, **form.choice())
    return handle_step(application, "supervisors", form, choose, **context)
