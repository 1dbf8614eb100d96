"""The pages around the API: personal access tokens in the account settings, the OpenAPI document and its
documentation page (served by the portal, no script from another site)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.api import services
from portal.api.forms import TokenForm
from portal.api.models import ApiToken, Scope
from portal.api.permissions import may_revoke
from portal.core.operations import attempt
from portal.core.permissions import public, staff_only
from portal.core.timeutil import utcnow

bp = Blueprint("api_pages", __name__)


def _tokens_page(form: TokenForm, created: services.CreatedToken | None = None):
    user = current_user._get_current_object()
    tokens = services.tokens_of(user)
    return render_template("api/tokens.html", form=form, tokens=tokens, created=created, now=utcnow(), scopes=Scope)


@bp.route("/account/tokens", methods=["GET", "POST"])
@staff_only
def tokens():
    form = TokenForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        created = attempt(lambda: services.create_token(user, form.name.data, form.scopes.data, form.days.data), form)
        if created:
            # Shown in this answer only: the secret is not stored, so it cannot be shown again.
            return _tokens_page(TokenForm(formdata=None), created.value)
    return _tokens_page(form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@staff_only
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not may_revoke(current_user, token):
        abort(404)
    if attempt(lambda: services.revoke_token(token)):
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("api_pages.tokens"))


@bp.get("/api/v1/openapi.json")
@public
def openapi_json():
    return jsonify(current_app.extensions["portal_api"].spec.to_dict())


@bp.get("/api/v1/docs")
@public
def docs():
    spec = current_app.extensions["portal_api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec, scopes=Scope)
