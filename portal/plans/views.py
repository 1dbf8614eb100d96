"""The joint research plan's pages: the plan with its approvals and comments, the applicant's editor, the history
and the approved plan's PDF."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.bilingual import pdf_download
from portal.core.operations import attempt
from portal.core.permissions import applicant_only, roles_required, supervisor_only
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.plans import pdf, services
from portal.plans.forms import ApproveForm, CommentForm, PlanForm
from portal.plans.permissions import (
    may_approve_plan,
    may_comment_plan,
    may_edit_plan,
    plan_application_for,
)

bp = Blueprint("plans", __name__, url_prefix="/plan")
readers = roles_required(Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.COORDINATOR)


@bp.get("/<int:application_id>")
@readers
def show(application_id: int):
    application = plan_application_for(current_user, application_id)
    plan = services.plan_of(application)
    approve_form = ApproveForm(sha256=plan.current.sha256 if plan else "")
    return render_template(
        "plans/show.html",
        application=application,
        plan=plan,
        approved=services.is_approved(plan),
        agreed=services.co_supervision_agreed(application),
        may_edit=may_edit_plan(current_user, application),
        may_approve=may_approve_plan(current_user, application),
        may_comment=may_comment_plan(current_user, application),
        approve_form=approve_form,
        comment_form=CommentForm(),
        labels=services.FIELD_LABELS,
    )


@bp.route("/<int:application_id>/edit", methods=["GET", "POST"])
@applicant_only
def edit(application_id: int):
    application = plan_application_for(current_user, application_id, may_edit_plan)
    plan = services.plan_of(application)
    form = PlanForm() if request.method == "POST" else PlanForm(obj=plan.current if plan else None)
    if request.method == "GET":
        form.load_version(plan)
    saved = form.validate_on_submit() and attempt(
        lambda: services.save_plan(
            application, form.content(), by=current_user, expected_version=form.expected_version, now=utcnow()
        ),
        form,
    )
    if saved:
        flash(_("The plan has been saved as version %(num)d.", num=saved.value.number), "success")
        return redirect(url_for("plans.show", application_id=application.id))
    return render_template("plans/edit.html", application=application, plan=plan, form=form)


@bp.post("/<int:application_id>/approve")
@supervisor_only
def approve(application_id: int):
    application = plan_application_for(current_user, application_id, may_approve_plan)
    form = ApproveForm()
    if form.validate_on_submit() and attempt(
        lambda: services.approve(application, by=current_user, sha256=form.sha256.data or "", now=utcnow())
    ):
        flash(_("You have approved the plan."), "success")
    return redirect(url_for("plans.show", application_id=application.id))


@bp.post("/<int:application_id>/comment")
@roles_required(Role.APPLICANT, Role.SUPERVISOR)
def comment(application_id: int):
    application = plan_application_for(current_user, application_id, may_comment_plan)
    form = CommentForm()
    if form.validate_on_submit() and attempt(
        lambda: services.add_comment(application, by=current_user, text=form.text.data or "", now=utcnow())
    ):
        flash(_("Your comment has been added."), "success")
    return redirect(url_for("plans.show", application_id=application.id, _anchor="comments"))


@bp.get("/<int:application_id>/history")
@readers
def history(application_id: int):
    application = plan_application_for(current_user, application_id)
    plan = services.plan_of(application)
    entries = services.history(plan) if plan else []
    return render_template("plans/history.html", application=application, plan=plan, entries=entries)


@bp.get("/<int:application_id>/plan.pdf")
@readers
def download(application_id: int):
    application = plan_application_for(current_user, application_id)
    plan = services.plan_of(application)
    if not services.is_approved(plan):
        flash(_("The plan can be downloaded once both supervisors have approved it."), "warning")
        return redirect(url_for("plans.show", application_id=application.id))
    return pdf_download(pdf.plan_pdf(plan), pdf.plan_filename(plan))
