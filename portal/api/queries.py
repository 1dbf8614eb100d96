"""The API's cursor pages: one narrow query each, by id, one more row than asked to tell whether a next page exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from portal import db
from portal.api.schemas import encode_cursor
from portal.applications.models import Application, Decision, IntakeRound
from portal.people.directory import PeopleFilter, people_after
from portal.reporting.lists import ListFilter, applications_after


def cursor_page(fetch: Callable[[int, int], Sequence[Any]], after: int, limit: int) -> dict[str, Any]:
    """The items after `after` and the cursor of the next page (None on the last)."""
    rows = list(fetch(after, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more else None}


def rounds_page(after: int, limit: int) -> dict[str, Any]:
    def fetch(after_id: int, count: int) -> Sequence[IntakeRound]:
        query = select(IntakeRound).where(IntakeRound.id > after_id).order_by(IntakeRound.id).limit(count)
        return db.session.scalars(query).all()

    return cursor_page(fetch, after, limit)


def applications_page(filters: ListFilter, after: int, limit: int) -> dict[str, Any]:
    return cursor_page(lambda after_id, count: applications_after(filters, after_id, count), after, limit)


def decisions_page(round_id: int, after: int, limit: int) -> dict[str, Any]:
    def fetch(after_id: int, count: int) -> Sequence[Any]:
        query = (
            select(
                Decision.id,
                Decision.application_id,
                Application.reference,
                Decision.outcome,
                Decision.note,
                Decision.decided_at,
                Decision.released_at,
            )
            .join(Application, Application.id == Decision.application_id)
            .where(Application.round_id == round_id, Decision.id > after_id)
            .order_by(Decision.id)
            .limit(count)
        )
        return db.session.execute(query).all()

    return cursor_page(fetch, after, limit)


def people_page(filters: PeopleFilter, after: int, limit: int) -> dict[str, Any]:
    return cursor_page(lambda after_id, count: people_after(filters, after_id, count), after, limit)
