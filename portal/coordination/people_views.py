"""People pages: the list, invitations, a person's page with profile, seat, roles and activation, the CSV import.

Coordinators invite, edit profiles and seats, deactivate and import; administrators grant and remove roles. Both
see the list and a person's page, each with the forms of their own role.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import db
from portal.accounts.models import User
from portal.coordination import people as service
from portal.coordination import supervisor_import as importer
from portal.coordination.people_forms import (
    STATUS_LABELS,
    ActionForm,
    GrantRoleForm,
    ImportConfirmForm,
    ImportUploadForm,
    InviteForm,
    PeopleSearchForm,
    ProfileFieldsMixin,
    ProfileForm,
    SeatForm,
)
from portal.coordination.views import bp
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.supervisors.models import ResearchField, University
from portal.supervisors.services import list_universities, profile_of, university_by_code

coordinators_only = roles_required(Role.COORDINATOR)
admins_only = roles_required(Role.ADMIN)
staff_only = roles_required(Role.COORDINATOR, Role.ADMIN)


def _person_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _actor() -> User:
    return current_user._get_current_object()


def _university(code: str | None) -> University:
    university = university_by_code(code or "")
    if university is None:  # the form's choices already refuse it; a forged value gets the same answer
        abort(400)
    return university


def _profile_data(form: ProfileFieldsMixin, university: University) -> service.ProfileData:
    return service.ProfileData(
        university=university,
        title=form.title.data or "",
        department=form.department.data or "",
        research_areas=form.research_areas.data or "",
        languages=form.languages.data or "",
        capacity=form.capacity.data,
        accepting_candidates=bool(form.accepting_candidates.data),
        fields=tuple(ResearchField(value) for value in form.fields.data or []),
    )


def _back_to(user: User):
    return redirect(url_for("coordination.person", user_id=user.id))


# --- The list ------------------------------------------------------------------------------------------------------


@bp.get("/people/")
@staff_only
def people():
    form = PeopleSearchForm(request.args)
    form.validate()
    filters = service.PeopleFilter.from_values(form.q.data, form.role.data, form.status.data)
    page = service.people_page(filters, request.args.get("page", 1, type=int) or 1)
    args = {
        key: value for key, value in (("q", filters.text), ("role", filters.role), ("status", filters.status)) if value
    }
    return render_template(
        "coordination/people.html", form=form, result=page, args=args, status_labels=STATUS_LABELS, roles=Role
    )


# --- Invitations ---------------------------------------------------------------------------------------------------


@bp.route("/people/invite", methods=["GET", "POST"])
@coordinators_only
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        university = _university(form.university.data)
        role = Role(form.role.data)
        try:
            result = service.invite(
                email=form.email.data,
                name=form.name.data or "",
                role=role,
                language=form.language.data,
                university=university,
                profile=_profile_data(form, university) if role == Role.SUPERVISOR else None,
                invited_by=_actor(),
            )
        except service.PeopleError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            _flash_invitation(result, role)
            return _back_to(result.user)
    return render_template("coordination/people_invite.html", form=form)


def _flash_invitation(result: service.InvitationResult, role: Role) -> None:
    user = result.user
    if result.created:
        flash(_("The account of %(email)s has been created and the invitation sent.", email=user.email), "success")
        return
    if result.role_added:
        flash(
            _(
                "%(email)s already has an account: the role “%(role)s” has been added.",
                email=user.email,
                role=role.label,
            ),
            "info",
        )
    else:
        flash(
            _("%(email)s already holds the role “%(role)s”: nothing was added.", email=user.email, role=role.label),
            "info",
        )
    if result.invitation_sent:
        flash(_("No password has been set for this account yet: a new invitation link has been sent."), "info")
    if not user.active:
        flash(_("The account is deactivated: reactivate it so that the person can sign in."), "warning")


# --- A person's page -----------------------------------------------------------------------------------------------


@bp.get("/people/<int:user_id>")
@staff_only
def person(user_id: int):
    user = _person_or_404(user_id)
    seat = service.seat_of(user)
    grant_form = GrantRoleForm()
    grant_form.role.choices = [(role.value, role.label) for role in Role if not user.has_role(role)]
    return render_template(
        "coordination/people_detail.html",
        person=user,
        profile=profile_of(user),
        seat=seat,
        seat_form=SeatForm(data={"university": seat.university.code} if seat else None),
        grant_form=grant_form,
        action_form=ActionForm(),
        may_change_activation=service.may_change_activation(_actor(), user),
    )


@bp.route("/people/<int:user_id>/profile", methods=["GET", "POST"])
@coordinators_only
def edit_profile(user_id: int):
    user = _person_or_404(user_id)
    if not user.has_role(Role.SUPERVISOR):
        flash(_("%(name)s is not a supervisor: grant the role first.", name=user.name), "warning")
        return _back_to(user)
    profile = profile_of(user)
    data = None
    if profile is not None:
        data = {
            "university": profile.university.code,
            "title": profile.title,
            "department": profile.department,
            "research_areas": profile.research_areas,
            "languages": profile.languages,
            "capacity": profile.capacity,
            "accepting_candidates": profile.accepting_candidates,
            "fields": [field.value for field in profile.research_fields],
        }
    form = ProfileForm(data=data)
    if form.validate_on_submit():
        try:
            service.save_profile(user, _profile_data(form, _university(form.university.data)))
        except service.PeopleError as error:
            getattr(form, error.field or "capacity").errors.append(str(error))
        else:
            flash(_("The profile of %(name)s has been saved.", name=user.name), "success")
            return _back_to(user)
    return render_template("coordination/people_profile.html", form=form, person=user, profile=profile)


@bp.post("/people/<int:user_id>/seat")
@coordinators_only
def save_seat(user_id: int):
    user = _person_or_404(user_id)
    form = SeatForm()
    if not form.validate_on_submit():
        abort(400)
    if not user.has_role(Role.COMMITTEE):
        flash(_("%(name)s is not a committee member: grant the role first.", name=user.name), "warning")
    else:
        service.save_seat(user, _university(form.university.data))
        flash(_("The committee seat of %(name)s has been saved.", name=user.name), "success")
    return _back_to(user)


@bp.post("/people/<int:user_id>/deactivate")
@staff_only
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/people/<int:user_id>/reactivate")
@staff_only
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _person_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not service.may_change_activation(_actor(), user):
        abort(403)
    try:
        service.set_account_active(user, active, by=_actor())
    except service.PeopleError as error:
        flash(str(error), "danger")
    else:
        if active:
            flash(_("The account of %(name)s is active again.", name=user.name), "success")
        else:
            flash(_("The account of %(name)s has been deactivated and signed out everywhere.", name=user.name), "info")
    return _back_to(user)


@bp.post("/people/<int:user_id>/roles")
@admins_only
def grant_role(user_id: int):
    user = _person_or_404(user_id)
    form = GrantRoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    try:
        service.grant(user, role, by=_actor())
    except service.PeopleError as error:
        flash(str(error), "danger")
    else:
        flash(_("%(name)s now holds the role “%(role)s”.", name=user.name, role=role.label), "success")
    return _back_to(user)


@bp.post("/people/<int:user_id>/roles/<role>/remove")
@admins_only
def remove_role(user_id: int, role: str):
    user = _person_or_404(user_id)
    if role not in {r.value for r in Role}:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.remove(user, Role(role), by=_actor())
    except service.PeopleError as error:
        flash(str(error), "danger")
    else:
        flash(_("The role “%(role)s” of %(name)s has been removed.", name=user.name, role=Role(role).label), "info")
    return _back_to(user)


# --- Importing supervisors -----------------------------------------------------------------------------------------


def _render_import(form: ImportUploadForm, plan=None, confirm_form=None):
    return render_template(
        "coordination/import.html",
        form=form,
        plan=plan,
        confirm_form=confirm_form,
        columns=importer.IMPORT_COLUMNS,
        required=importer.REQUIRED_COLUMNS,
        max_capacity=service.MAX_CAPACITY,
        max_rows=importer.MAX_IMPORT_ROWS,
        max_kb=importer.MAX_IMPORT_BYTES // 1024,
        fields=list(ResearchField),
        universities=list_universities(),
    )


@bp.route("/people/import", methods=["GET", "POST"])
@coordinators_only
def import_supervisors():
    form = ImportUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(importer.MAX_IMPORT_BYTES + 1)
        try:
            text = importer.decode_import(data)
        except importer.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            plan = importer.plan_import(text)
            confirm_form = None
            if plan.valid:
                confirm_form = ImportConfirmForm(formdata=None, payload=importer.sign_import(text, plan, user=_actor()))
            return _render_import(form, plan, confirm_form)
    return _render_import(form)


@bp.post("/people/import/confirm")
@coordinators_only
def confirm_import():
    form = ImportConfirmForm()
    try:
        if not form.validate_on_submit():
            raise importer.ImportFileError(
                _("The preview has expired or cannot be read. Please upload the file again.")
            )
        text, fingerprint = importer.unsign_import(form.payload.data, user=_actor())
    except importer.ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for("coordination.import_supervisors"))
    plan = importer.plan_import(text)
    if not plan.valid or plan.fingerprint() != fingerprint:
        confirm_form = None
        if plan.valid:
            flash(
                _("Accounts have changed since the preview. Please check the new preview and confirm again."), "warning"
            )
            confirm_form = ImportConfirmForm(formdata=None, payload=importer.sign_import(text, plan, user=_actor()))
        return _render_import(ImportUploadForm(formdata=None), plan, confirm_form)
    counts = importer.apply_import(plan, by=_actor())
    flash(
        _(
            "Import done: %(created)d supervisors created and invited, %(role_added)d existing accounts given the "
            "supervisor role, %(updated)d updated, %(unchanged)d unchanged.",
            **counts,
        ),
        "success",
    )
    return redirect(url_for("coordination.people", role=Role.SUPERVISOR.value))


register_nav_item("coordination.people", _l("People"), roles=(Role.COORDINATOR, Role.ADMIN), order=42)
