"""One page of a list: its rows and where it lies among all matching rows (every paginated list uses this)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


# No list has this many pages: a larger number asks for a page beyond the end (shown as the last page), and offsets stay
# within the databases' integer range.
MAX_PAGE = 1_000_000


def page_number(value: Any) -> int:
    """The page asked for in a request argument: a whole number from 1 (at most MAX_PAGE), else 1."""
    try:
        return min(max(1, int(value)), MAX_PAGE)
    except (TypeError, ValueError, OverflowError):
        return 1


def last_page(total: int, per_page: int) -> int:
    """The number of the last page (1 for an empty list)."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: Any, total: int, per_page: int) -> int:
    """The page to show: the one asked for, or the last one when it lies beyond the end."""
    return min(page_number(page), last_page(total, per_page))


def offset_of(page: int, per_page: int) -> int:
    """How many rows come before the page."""
    return (page - 1) * per_page


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of rows with the total count of matching rows."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The position of the page's first row among all rows (1-based; 0 when there is none)."""
        return offset_of(self.page, self.per_page) + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        return offset_of(self.page, self.per_page) + len(self.rows)


@dataclass(frozen=True)
class IdPage:
    """The ids of one page in the list's order, the total count of matching rows and the page number shown."""

    ids: list[int]
    total: int
    page: int


def page_of_ids(
    session: Session, ids: Select, order: list[Any], page: Any, per_page: int, *, count_apart: bool = False
) -> IdPage:
    """One page of a list read as a deferred join: `ids` selects only the key column, filtered (no join, no order); this
    orders it, cuts the page and counts every match in the same statement, so that the rows themselves are then read
    for the page's ids alone. A page beyond the last one shows the last one (one more statement).

    The count is a window over the matches (one pass over them, then a sort of them: best when a filter leaves few), or
    with count_apart an uncorrelated subquery run once (best for a whole round read in an index's order: the database
    stops after the page and counts from the index, instead of sorting every row before cutting the page)."""
    number = page_number(page)
    if count_apart:
        count = select(func.count()).select_from(ids.subquery()).correlate(None).scalar_subquery()
        paged = ids.add_columns(count.label("total"))
    else:
        paged = ids.add_columns(func.count().over().label("total"))
    paged = paged.order_by(*order).limit(per_page)
    found = session.execute(paged.offset(offset_of(number, per_page))).all()
    if found or number == 1:
        return IdPage([row[0] for row in found], found[0].total if found else 0, number)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    number = clamp_page(number, total, per_page)
    found = session.execute(paged.offset(offset_of(number, per_page))).all()
    return IdPage([row[0] for row in found], total, number)
