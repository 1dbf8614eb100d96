"""The numbers of an intake round for the coordinators' dashboard.

Every figure is one aggregate query (GROUP BY in the database), so the dashboard costs the same number of queries
whether a round has ten applications or ten thousand:

- applications by state (all of the round's applications, drafts and withdrawn ones included);
- by the German and by the Chinese university chosen, by research field and by nationality, counting the submitted
  applications (submitted, under review or decided: not drafts, not withdrawn);
- submissions per day, in a given time zone, from the day the round opens to the day it closes (every submission,
  including applications withdrawn later);
- letters of recommendation received per submitted application (0, 1 or 2), hence those still missing letters;
- review progress per committee member: assignments to the round's submitted applications, reviews submitted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, cast, extract, func, or_, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound, RefereeInvitation
from portal.review.models import CommitteeMember, Review, ReviewAssignment
from portal.supervisors.models import Country, ResearchField, SupervisorProfile, University

SUBMITTED_STATES = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED)
LETTERS_WANTED = 2
# Submissions are counted in quarter-hour buckets (in UTC) and the buckets are then put on local days: every time
# zone's offset is a multiple of 15 minutes, so the days are exact in any zone, and the query stays an aggregate.
BUCKET_SECONDS = 15 * 60


@dataclass(frozen=True)
class UniversityCount:
    university: University
    count: int


@dataclass(frozen=True)
class ReviewerProgress:
    user_id: int
    name: str
    assigned: int
    submitted: int

    @property
    def open(self) -> int:
        return self.assigned - self.submitted


@dataclass(frozen=True)
class RoundStats:
    """Everything the dashboard shows for one round."""

    intake: IntakeRound
    zone: str
    by_state: list[tuple[ApplicationState, int]]
    german_universities: list[UniversityCount]
    chinese_universities: list[UniversityCount]
    by_field: list[tuple[ResearchField | None, int]]
    by_nationality: list[tuple[str, int]]
    per_day: list[tuple[dt.date, int]]
    letters: list[tuple[int, int]]  # (letters received, number of submitted applications), for 0 .. LETTERS_WANTED
    reviewers: list[ReviewerProgress]

    @property
    def total(self) -> int:
        return sum(count for _state, count in self.by_state)

    @property
    def submitted(self) -> int:
        return sum(count for state, count in self.by_state if state in SUBMITTED_STATES)

    @property
    def letters_missing(self) -> int:
        """Submitted applications with fewer than two letters received."""
        return sum(count for received, count in self.letters if received < LETTERS_WANTED)


def _submitted(intake: IntakeRound) -> list[ColumnElement[bool]]:
    return [Application.round_id == intake.id, Application.state.in_(SUBMITTED_STATES)]


def _by_state(intake: IntakeRound) -> list[tuple[ApplicationState, int]]:
    query = (
        select(Application.state, func.count(Application.id))
        .where(Application.round_id == intake.id)
        .group_by(Application.state)
    )
    found = dict(db.session.execute(query).all())
    return [(state, found.get(state, 0)) for state in ApplicationState]


def _by_university(intake: IntakeRound, country: Country, supervisor_column) -> list[UniversityCount]:
    chosen = select(Application.id, supervisor_column.label("profile_id")).where(*_submitted(intake)).subquery()
    query = (
        select(University, func.count(chosen.c.id))
        .outerjoin(SupervisorProfile, SupervisorProfile.university_id == University.id)
        .outerjoin(chosen, chosen.c.profile_id == SupervisorProfile.id)
        .where(University.country == country)
        .group_by(University.id)
        .order_by(University.id)
    )
    return [UniversityCount(university, count) for university, count in db.session.execute(query)]


def _by_field(intake: IntakeRound) -> list[tuple[ResearchField | None, int]]:
    query = (
        select(Application.research_field, func.count(Application.id))
        .where(*_submitted(intake))
        .group_by(Application.research_field)
    )
    found = dict(db.session.execute(query).all())
    counts: list[tuple[ResearchField | None, int]] = [(f, found.get(f, 0)) for f in ResearchField]
    if found.get(None):
        counts.append((None, found[None]))
    return counts


def _by_nationality(intake: IntakeRound) -> list[tuple[str, int]]:
    """(country code, count), the most frequent first; "" for applications without a nationality."""
    count = func.count(Application.id)
    query = (
        select(Application.nationality, count)
        .where(*_submitted(intake))
        .group_by(Application.nationality)
        .order_by(count.desc(), Application.nationality)
    )
    return [(code or "", n) for code, n in db.session.execute(query)]


def _bucket(column) -> ColumnElement[int]:
    """The quarter hour (since the epoch, in UTC) a timestamp falls in, on SQLite and on PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        # Stored as naive UTC text; strftime('%s') reads it as UTC. Integer // integer divides without remainder.
        return cast(func.strftime("%s", column), Integer) // BUCKET_SECONDS
    return cast(func.floor(extract("epoch", column) / BUCKET_SECONDS), Integer)


def round_days(intake: IntakeRound, zone: str) -> list[dt.date]:
    """The calendar days in zone from the round's opening to its closing (the closing instant itself excluded)."""
    tz = ZoneInfo(zone)
    first = intake.opens_at.astimezone(tz).date()
    last = (intake.closes_at - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _per_day(intake: IntakeRound, zone: str) -> list[tuple[dt.date, int]]:
    buckets = (
        select(_bucket(Application.submitted_at).label("bucket"))
        .where(Application.round_id == intake.id, Application.submitted_at.is_not(None))
        .subquery()
    )
    query = select(buckets.c.bucket, func.count()).group_by(buckets.c.bucket)
    tz = ZoneInfo(zone)
    days = dict.fromkeys(round_days(intake, zone), 0)
    for bucket, count in db.session.execute(query):
        day = dt.datetime.fromtimestamp(int(bucket) * BUCKET_SECONDS, dt.UTC).astimezone(tz).date()
        if day in days:  # submissions happen between opening and closing; anything else is not the round's
            days[day] += count
    return list(days.items())


def _letters(intake: IntakeRound) -> list[tuple[int, int]]:
    received = (
        select(Application.id, func.count(RefereeInvitation.letter_received_at).label("letters"))
        .outerjoin(RefereeInvitation, RefereeInvitation.application_id == Application.id)
        .where(*_submitted(intake))
        .group_by(Application.id)
        .subquery()
    )
    query = select(received.c.letters, func.count()).group_by(received.c.letters)
    found: dict[int, int] = {}
    for letters, count in db.session.execute(query):
        key = min(int(letters), LETTERS_WANTED)
        found[key] = found.get(key, 0) + count
    return [(n, found.get(n, 0)) for n in range(LETTERS_WANTED + 1)]


def _reviewers(intake: IntakeRound) -> list[ReviewerProgress]:
    """Committee members (with or without assignments) and anyone else assigned in the round, by name."""
    progress = (
        select(
            ReviewAssignment.reviewer_id.label("user_id"),
            func.count(ReviewAssignment.id).label("assigned"),
            func.count(Review.submitted_at).label("submitted"),
        )
        .join(Application, Application.id == ReviewAssignment.application_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(*_submitted(intake))
        .group_by(ReviewAssignment.reviewer_id)
        .subquery()
    )
    query = (
        select(User.id, User.name, func.coalesce(progress.c.assigned, 0), func.coalesce(progress.c.submitted, 0))
        .outerjoin(progress, progress.c.user_id == User.id)
        .outerjoin(CommitteeMember, CommitteeMember.user_id == User.id)
        .where(or_(progress.c.user_id.is_not(None), CommitteeMember.id.is_not(None)))
        .order_by(User.name, User.id)
    )
    return [ReviewerProgress(*row) for row in db.session.execute(query)]


def round_stats(intake: IntakeRound, zone: str) -> RoundStats:
    """The round's numbers; days are counted in zone (an IANA name such as "Europe/Berlin")."""
    return RoundStats(
        intake=intake,
        zone=zone,
        by_state=_by_state(intake),
        german_universities=_by_university(intake, Country.DE, Application.german_supervisor_id),
        chinese_universities=_by_university(intake, Country.CN, Application.chinese_supervisor_id),
        by_field=_by_field(intake),
        by_nationality=_by_nationality(intake),
        per_day=_per_day(intake, zone),
        letters=_letters(intake),
        reviewers=_reviewers(intake),
    )
