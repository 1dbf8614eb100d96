"""The people list: every account with its roles, university and status, searched and filtered, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User, UserRole
from portal.core.pagination import Page, offset_of, page_number
from portal.core.roles import Role
from portal.review.models import CommitteeMember
from portal.supervisors.models import SupervisorProfile, University

PER_PAGE = 50
STATUSES = ("active", "invited", "inactive")


@dataclass(frozen=True)
class PeopleFilter:
    """What the people list's search form asks for."""

    text: str = ""
    role: str = ""
    status: str = ""

    @classmethod
    def from_values(cls, text: str | None, role: str | None, status: str | None) -> PeopleFilter:
        return cls(
            text=(text or "").strip()[:100],
            role=role if role in {r.value for r in Role} else "",
            status=status if status in STATUSES else "",
        )

    def query_args(self) -> dict[str, str]:
        """The filter as the list's GET arguments (empty ones left out), for the page links."""
        args = (("q", self.text), ("role", self.role), ("status", self.status))
        return {key: value for key, value in args if value}


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    email: str
    active: bool
    invited: bool  # has never set a password
    last_login_at: dt.datetime | None
    roles: list[Role]
    university: str | None


def _rows_query() -> Select:
    """Each account with its roles and the university of its profile or seat; the total rides along."""
    role_list = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    profile_university, seat_university = aliased(University), aliased(University)
    return (
        select(
            User.id,
            User.name,
            User.email,
            User.active,
            User.password_hash.is_(None).label("invited"),
            User.last_login_at,
            role_list.label("roles"),
            func.coalesce(profile_university.code, seat_university.code).label("university"),
            func.count().over().label("total"),
        )
        .outerjoin(SupervisorProfile, SupervisorProfile.user_id == User.id)
        .outerjoin(profile_university, profile_university.id == SupervisorProfile.university_id)
        .outerjoin(CommitteeMember, CommitteeMember.user_id == User.id)
        .outerjoin(seat_university, seat_university.id == CommitteeMember.university_id)
        .order_by(func.lower(User.name), User.id)
    )


def _conditions(filters: PeopleFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.text:
        text = filters.text.lower()
        conditions.append(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    if filters.role:
        conditions.append(User.roles.any(UserRole.role == Role(filters.role)))
    if filters.status == "active":
        conditions.append(User.active.is_(True))
    elif filters.status == "inactive":
        conditions.append(User.active.is_(False))
    elif filters.status == "invited":
        conditions += [User.password_hash.is_(None), User.active.is_(True)]
    return conditions


def _person(row: Any) -> PersonRow:
    return PersonRow(
        id=row.id,
        name=row.name,
        email=row.email,
        active=row.active,
        invited=bool(row.invited),
        last_login_at=row.last_login_at,
        roles=sorted(Role(value) for value in (row.roles or "").split(",") if value),
        university=row.university,
    )


def people_page(filters: PeopleFilter, page: Any = 1, per_page: int = PER_PAGE) -> Page[PersonRow]:
    """One page of accounts matching the filters, ordered by name, in a single query (the total rides along)."""
    number = page_number(page)
    query = _rows_query().where(*_conditions(filters)).limit(per_page).offset(offset_of(number, per_page))
    rows = db.session.execute(query).all()
    total = rows[0].total if rows else 0
    return Page(rows=[_person(row) for row in rows], total=total, page=number, per_page=per_page)


def people_after(filters: PeopleFilter, after_id: int, limit: int) -> list[PersonRow]:
    """Up to limit matching accounts with an id above after_id, by id (the API's cursor pages): one query."""
    query = _rows_query().where(*_conditions(filters), User.id > after_id).order_by(None).order_by(User.id).limit(limit)
    return [_person(row) for row in db.session.execute(query)]
