"""Thin views: try one service call and, when a rule refuses it, show why with every typed value kept.

A view loads, authorizes, calls one service through `attempt` and renders or redirects:

    form = StepForm()
    if form.validate_on_submit() and attempt(lambda: services.save_step(...), form):
        flash(_("Saved."), "success")
        return redirect(...)
    return render_template(..., form=form)          # a refusal is shown on this page, the typed values still in it

A refused rule is handled in one place (`refuse`): the request's work is rolled back and the request marked as
refused (so nothing of it is committed), the message goes next to its field on the form or is flashed, and a stale
form gets the record's current version so that the next save can succeed. A violation a view lets through reaches
the error handler (`portal.core.errors`), which does the same and sends the person back to the page they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash
from wtforms import Form

from portal import db
from portal.core.rules import RuleViolation, mark_refused
from portal.core.versions import StaleVersion

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a service call gave: its value, or the refusal; true when it succeeded."""

    value: T | None = None
    error: RuleViolation | None = None

    def __bool__(self) -> bool:
        return self.error is None


def _field(form: Form | None, name: str | None):
    return getattr(form, name, None) if form is not None and name else None


def refuse(error: RuleViolation, form: Form | None = None, *, announce: bool = True) -> None:
    """Handle a refused rule for the person: roll back, mark the request refused, show the message where it belongs
    (unless the caller shows it itself: announce=False)."""
    db.session.rollback()
    mark_refused()
    if not announce:
        return
    if isinstance(error, StaleVersion) and error.current is not None and _field(form, "version") is not None:
        form.version.data = str(error.current())  # type: ignore[union-attr]
    unplaced = []
    for name, message in error.fields.items():
        field = _field(form, name)
        (field.errors.append(message) if field is not None else unplaced.append(message))
    field = _field(form, error.field)
    if field is not None:
        field.errors.append(error.message)
    elif error.message and error.message not in unplaced:
        unplaced.insert(0, error.message)
    for message in unplaced:
        flash(message, error.category)


def attempt(call: Callable[[], T], form: Form | None = None) -> Outcome[T]:
    """Run one service call; a RuleViolation is handled by `refuse` and returned as a false Outcome."""
    try:
        value = call()
    except RuleViolation as error:
        refuse(error, form)
        return Outcome(error=error)
    return Outcome(value=value)
