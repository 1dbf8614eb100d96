"""The search page behind the box in the navigation (coordinators)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal.core.permissions import coordinator_only
from portal.search import services
from portal.search.forms import SearchForm

bp = Blueprint("search", __name__, url_prefix="/coordination/search")


@bp.get("/")
@coordinator_only
def index():
    form = SearchForm(request.args)
    text = form.q.data or "" if form.validate() else ""
    result = services.search(text)
    return render_template("search/index.html", form=form, result=result, kinds=services.HitKind)
