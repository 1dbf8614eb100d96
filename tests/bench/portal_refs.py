"""The one table of portal code the benchmark names besides models, create_app and URL paths: update after a refactor.

Everything here is looked up lazily ("module:attribute"), so a moved module breaks only the line that names it. The
render limit renders LIST_TEMPLATE with the context the list view builds (list_context below mirrors that view).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

# Jinja template names.
LIST_TEMPLATE = "reporting/applications.html"

# Rows per page of the coordinators' applications list.
LIST_PER_PAGE = 50

# Portal functions and classes, by dotted path.
REFS: dict[str, str] = {
    "get_engine": "portal.db:get_engine",
    "db_session": "portal.db:session",
    "sync_universities": "portal.supervisors.services:sync_universities",
    "encrypt": "portal.core.crypto:encrypt",
    "totp_purpose": "portal.accounts.two_factor:SECRET_PURPOSE",
    "university_choices": "portal.supervisors.services:university_choices",
    "list_rounds": "portal.applications.services:list_rounds",
    "list_filter": "portal.reporting.lists:ListFilter",
    "list_page": "portal.reporting.lists:applications_page",
    "list_form": "portal.reporting.forms:ApplicationFilterForm",
}


def ref(name: str) -> Any:
    """The portal object REFS names, imported now."""
    module, _sep, attribute = REFS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def list_state(round_id: int) -> dict[str, Any]:
    """What the list view reads from the database for the first page of a round (call in a request context)."""
    filters = ref("list_filter").from_args({}, round_id)
    return {
        "intake": ref("db_session").get(_intake_round_class(), round_id),
        "rounds": ref("list_rounds")(),
        "universities": ref("university_choices")(),
        "filters": filters,
        "page": ref("list_page")(filters, 1),
        "args": filters.query_args(),
        "form_class": ref("list_form"),
    }


def list_context(state: dict[str, Any], request_args: Any) -> dict[str, Any]:
    """The template context the list view passes to LIST_TEMPLATE, built from list_state's rows held in memory."""
    form = state["form_class"](request_args)
    form.set_choices(state["rounds"], state["universities"], state["intake"].id)
    return {
        "intake": state["intake"],
        "form": form,
        "filters": state["filters"],
        "page": state["page"],
        "args": state["args"],
    }


def _intake_round_class() -> Callable[..., Any]:
    from portal.applications.models import IntakeRound

    return IntakeRound
