"""Two questions about any form: show it read-only, and was anything typed into it."""

from __future__ import annotations

from typing import TypeVar

from wtforms import Form

F = TypeVar("F", bound=Form)

READABLE_FIELDS = frozenset({"StringField", "TextAreaField", "DateField", "IntegerField", "EmailField"})
UNTYPED_FIELDS = frozenset({"HiddenField", "CSRFTokenField", "SubmitField"})


def read_only(form: F) -> F:
    """Show what the form holds without letting it be changed or sent: text stays readable (and copyable), choices
    and buttons are disabled."""
    for field in form:
        frozen = "readonly" if field.type in READABLE_FIELDS else "disabled"
        field.render_kw = {**(field.render_kw or {}), frozen: True}
    return form


def started(form: Form) -> bool:
    """Whether anything was typed or chosen into the form (its hidden fields and buttons aside)."""
    return any(field.data not in (None, "", False) for field in form if field.type not in UNTYPED_FIELDS)
