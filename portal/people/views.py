"""People pages: the list, invitations, a person's page with profile, seat, activation and roles, the supervisor import.

Coordinators and admins see the list and a person's page. Coordinators invite and edit profiles and seats; both may
deactivate and reactivate accounts (an administrator's only an administrator); only admins grant and remove roles.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import db
from portal.accounts.models import User
from portal.core.operations import attempt
from portal.core.permissions import admin_only, coordinator_only, staff_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.people import directory, profiles, services
from portal.people import supervisor_import as importer
from portal.people.forms import (
    STATUS_LABELS,
    ActionForm,
    GrantRoleForm,
    ImportConfirmForm,
    ImportUploadForm,
    InviteForm,
    PeopleSearchForm,
    ProfileForm,
    SeatForm,
)
from portal.people.import_checks import IMPORT_COLUMNS, REQUIRED_COLUMNS
from portal.people.permissions import may_change_activation
from portal.supervisors.models import ResearchField, University
from portal.supervisors.services import MAX_CAPACITY, list_universities, profile_of, university_by_code

bp = Blueprint("people", __name__, url_prefix="/coordination/people")


def _person_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _actor() -> User:
    return current_user._get_current_object()


def _university(code: str | None) -> University:
    university = university_by_code(code or "")
    if university is None:  # the form's choices already refuse it; a forged value gets the same answer
        abort(400)
    return university


def _confirmed(form) -> None:
    """A button that changes an account must come from the portal's own page (its CSRF token)."""
    if not form.validate_on_submit():
        abort(400)


def _back_to(user: User):
    return redirect(url_for("people.person", user_id=user.id))


# --- The list ------------------------------------------------------------------------------------------------------


@bp.get("/")
@staff_only
def index():
    form = PeopleSearchForm(request.args)
    form.validate()
    filters = directory.PeopleFilter.from_values(form.q.data, form.role.data, form.status.data)
    page = directory.people_page(filters, request.args.get("page"))
    args = filters.query_args()
    return render_template("people/index.html", form=form, result=page, args=args, status_labels=STATUS_LABELS)


# --- Invitations ---------------------------------------------------------------------------------------------------


@bp.route("/invite", methods=["GET", "POST"])
@coordinator_only
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        invitation = form.invitation(_university(form.university.data))
        invited = attempt(lambda: services.invite(invitation, invited_by=_actor()), form)
        if invited:
            _flash_invitation(invited.value)
            return _back_to(invited.value.user)
    return render_template("people/invite.html", form=form)


def _flash_invitation(result: services.InvitationResult) -> None:
    user, role = result.user, result.role
    if result.created:
        flash(_("The account of %(email)s has been created and the invitation sent.", email=user.email), "success")
        return
    if result.role_added:
        added = _(
            "%(email)s already has an account: the role “%(role)s” has been added.", email=user.email, role=role.label
        )
        flash(added, "info")
    else:
        held = _("%(email)s already holds the role “%(role)s”: nothing was added.", email=user.email, role=role.label)
        flash(held, "info")
    if result.invitation_sent:
        flash(_("No password has been set for this account yet: a new invitation link has been sent."), "info")
    if not user.active:
        flash(_("The account is deactivated: reactivate it so that the person can sign in."), "warning")


# --- A person's page -----------------------------------------------------------------------------------------------


@bp.get("/<int:user_id>")
@staff_only
def person(user_id: int):
    user = _person_or_404(user_id)
    seat = profiles.seat_of(user)
    return render_template(
        "people/person.html",
        person=user,
        profile=profile_of(user),
        seat=seat,
        seat_form=SeatForm(data={"university": seat.university.code} if seat else None),
        grant_form=GrantRoleForm.for_person(user),
        action_form=ActionForm(),
        may_change_activation=may_change_activation(_actor(), user),
    )


@bp.route("/<int:user_id>/profile", methods=["GET", "POST"])
@coordinator_only
def edit_profile(user_id: int):
    user = _person_or_404(user_id)
    if not user.has_role(Role.SUPERVISOR):
        flash(_("%(name)s is not a supervisor: grant the role first.", name=user.name), "warning")
        return _back_to(user)
    profile = profile_of(user)
    form = ProfileForm(data=profiles.ProfileData.of(profile).form_data() if profile else None)
    if form.validate_on_submit():
        data = form.profile_data(_university(form.university.data))
        if attempt(lambda: profiles.save_profile(user, data), form):
            flash(_("The profile of %(name)s has been saved.", name=user.name), "success")
            return _back_to(user)
    return render_template("people/profile.html", form=form, person=user, profile=profile)


@bp.post("/<int:user_id>/seat")
@coordinator_only
def save_seat(user_id: int):
    user = _person_or_404(user_id)
    form = SeatForm()
    _confirmed(form)
    if attempt(lambda: profiles.save_seat(user, _university(form.university.data))):
        flash(_("The committee seat of %(name)s has been saved.", name=user.name), "success")
    return _back_to(user)


@bp.post("/<int:user_id>/deactivate")
@staff_only
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/<int:user_id>/reactivate")
@staff_only
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    """Deactivate or reactivate the account, if the signed-in person may (403 when not)."""
    user = _person_or_404(user_id)
    _confirmed(ActionForm())
    if not may_change_activation(_actor(), user):
        abort(403)
    if attempt(lambda: services.set_account_active(user, active, by=_actor())):
        if active:
            flash(_("The account of %(name)s is active again.", name=user.name), "success")
        else:
            flash(_("The account of %(name)s has been deactivated and signed out everywhere.", name=user.name), "info")
    return _back_to(user)


@bp.post("/<int:user_id>/roles")
@admin_only
def grant_role(user_id: int):
    user = _person_or_404(user_id)
    form = GrantRoleForm()
    _confirmed(form)
    role = Role(form.role.data)
    if attempt(lambda: services.grant(user, role, by=_actor())):
        flash(_("%(name)s now holds the role “%(role)s”.", name=user.name, role=role.label), "success")
    return _back_to(user)


@bp.post("/<int:user_id>/roles/<role>/remove")
@admin_only
def remove_role(user_id: int, role: str):
    user = _person_or_404(user_id)
    if role not in {r.value for r in Role}:
        abort(404)
    _confirmed(ActionForm())
    if attempt(lambda: services.remove(user, Role(role), by=_actor())):
        flash(_("The role “%(role)s” of %(name)s has been removed.", name=user.name, role=Role(role).label), "info")
    return _back_to(user)


# --- Importing supervisors -----------------------------------------------------------------------------------------


def _import_page(form: ImportUploadForm, check: importer.ImportCheck | None = None):
    payload = check.payload if check else None
    return render_template(
        "people/import.html",
        form=form,
        plan=check.plan if check else None,
        confirm_form=ImportConfirmForm(formdata=None, payload=payload) if payload else None,
        columns=IMPORT_COLUMNS,
        required=REQUIRED_COLUMNS,
        max_capacity=MAX_CAPACITY,
        max_rows=importer.MAX_IMPORT_ROWS,
        max_kb=importer.MAX_IMPORT_BYTES // 1024,
        fields=list(ResearchField),
        universities=list_universities(),
    )


@bp.route("/import", methods=["GET", "POST"])
@coordinator_only
def import_supervisors():
    form = ImportUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(importer.MAX_IMPORT_BYTES + 1)
        checked = attempt(lambda: importer.check_file(data, user=_actor()), form)
        if checked:
            return _import_page(form, checked.value)
    return _import_page(form)


@bp.post("/import/confirm")
@coordinator_only
def confirm_import():
    form = ImportConfirmForm()
    token = form.payload.data if form.validate_on_submit() else ""
    confirmed = attempt(lambda: importer.confirm(token, by=_actor()))
    if not confirmed:
        return redirect(url_for("people.import_supervisors"))
    check = confirmed.value
    if check.counts is None:
        if check.payload:
            flash(
                _("Accounts have changed since the preview. Please check the new preview and confirm again."), "warning"
            )
        return _import_page(ImportUploadForm(formdata=None), check)
    _flash_imported(check.counts)
    return redirect(url_for("people.index", role=Role.SUPERVISOR.value))


def _flash_imported(counts: dict[str, int]) -> None:
    message = _(
        "Import done: %(created)d supervisors created and invited, %(role_added)d existing accounts given the "
        "supervisor role, %(updated)d updated, %(unchanged)d unchanged.",
        **counts,
    )
    flash(message, "success")


register_nav_item("people.index", _l("People"), roles=(Role.COORDINATOR, Role.ADMIN), order=42)
