"""Demo applications for `seed-demo`: about forty applicants in every state, in two rounds, written by the services.

The open round holds drafts (some incomplete), submitted applications, applications under review, a few early
decisions not released yet, and withdrawals; last year's round is closed, reviewed, decided and released (admit,
waiting list, reject). Every change goes through the service that makes it in real use (start, steps, documents,
referees, submit, letters, statements, assignments, reviews, decisions, release, withdraw), so states, reference
numbers, audit events and emails are consistent. The services are given simulated times; a short-lived session hook
dates the rows and audit events they write without a time of their own, names the acting user in audit events, and
marks the emails as sent at that time (the development mail worker would otherwise print hundreds of them).

Deterministic: a seeded random generator picks the details. Idempotent: nothing happens once a demo applicant has an
application.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import func, select

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.applications import workflow
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core.timeutil import utcnow
from portal.demo.applicants import Built, draft
from portal.demo.content import DECISION_NOTES
from portal.demo.context import DAY, SEED, Clock, Context, simulated
from portal.demo.judging import letters, reviews, statements
from portal.demo.plans import CLOSED_ROUND, COORDINATOR, OPEN_ROUND, PEOPLE, REVIEWERS, Plan
from portal.demo.rounds import Timeline, closed_timeline, ensure_closed_round, open_timeline, within
from portal.review import decisions
from portal.review.guardrails import WarningKind
from portal.supervisors.models import Country, SupervisorProfile


def _build_round(ctx: Context, intake: IntakeRound, plans: tuple[Plan, ...], timeline: Timeline) -> list[Built]:
    """Every planned application of the round, taken as far as its plan says, in the order real rounds go."""
    built = [draft(ctx, intake, plan, within(ctx.rng, timeline.start)) for plan in plans]
    submitted = _submit(ctx, built, timeline)
    judged = [b for b in submitted if b.plan[1] != "withdrawn"]
    for b in judged:
        statements(ctx, b, timeline.judge)
        reviews(ctx, b, timeline.assign, timeline.judge)
    _decide(ctx, intake, judged, timeline)
    _withdraw(ctx, built, timeline)
    return built


def _submit(ctx: Context, built: list[Built], timeline: Timeline) -> list[Built]:
    """Submit the planned applications (reference numbers in the order of submission), and their letters arrive."""
    rng, clock = ctx.rng, ctx.clock
    submitted = [b for b in built if not b.plan[1].startswith(("draft", "withdrawn-draft"))]
    for b in submitted:
        b.submit_at = within(rng, timeline.submit)
    for b in sorted(submitted, key=lambda b: b.submit_at):
        user = b.application.applicant
        workflow.submit(
            b.application, declaration=True, expected_version=b.application.version, now=clock.at(b.submit_at, user)
        )
        letters(ctx, b, b.submit_at + timeline.letters_within * rng.random())
    return submitted


def _decide(ctx: Context, intake: IntakeRound, judged: list[Built], timeline: Timeline) -> None:
    """The coordinator records the planned decisions, and releases those planned as released."""
    coordinator = ctx.users[COORDINATOR]
    decided = [b for b in judged if ":" in b.plan[1]]
    for b in decided:
        outcome = DecisionOutcome(b.plan[1].partition(":")[2])
        now = ctx.clock.at(timeline.decide + dt.timedelta(minutes=ctx.rng.randint(0, 240)), coordinator)
        decisions.record_decision(
            b.application,
            outcome=outcome,
            note=DECISION_NOTES[outcome],
            by=coordinator,
            now=now,
            expected_version=b.application.version,
            # Demo decisions are taken as if the committee had discussed whatever the guardrails warn about.
            confirmed=frozenset(WarningKind),
            reason="Discussed in the committee meeting.",
        )
    to_release = [b.application.id for b in decided if b.plan[1].startswith("released")]
    if to_release and timeline.release is not None:
        now = ctx.clock.at(timeline.release, coordinator)
        decisions.release(intake, to_release, by=coordinator, now=now, confirm_open=True)


def _withdraw(ctx: Context, built: list[Built], timeline: Timeline) -> None:
    """The planned withdrawals: after submission, or of a draft a few days after it was started."""
    for b in built:
        if b.plan[1].startswith("withdrawn"):
            user = b.application.applicant
            when = timeline.withdraw if b.submit_at else b.start + DAY * ctx.rng.randint(4, 9)
            workflow.withdraw(b.application, expected_version=b.application.version, now=ctx.clock.at(when, user))


def demo_applications_exist() -> bool:
    """Whether any demo applicant has an application already (then nothing is seeded again)."""
    emails = [row[0] for row in PEOPLE]
    query = select(func.count(Application.id)).join(User).where(User.email.in_(emails))
    return bool(db.session.scalar(query))


def seed_applications(open_round: IntakeRound, *, password_hash: str) -> tuple[IntakeRound, dict[str, int]]:
    """Create the demo applications (once); returns the closed round and the two rounds' applications per state."""
    now = utcnow()
    closed_round = ensure_closed_round(open_round, now)
    if not demo_applications_exist():
        staff = [*REVIEWERS.values(), COORDINATOR]
        users = {email: user for email in staff if (user := accounts.find_user_by_email(email)) is not None}
        profiles = db.session.scalars(select(SupervisorProfile).order_by(SupervisorProfile.id)).all()
        ctx = Context(
            rng=random.Random(SEED),  # noqa: S311 - demo data, not secrets
            clock=Clock(),
            password_hash=password_hash,
            users=users,
            profiles={c: [p for p in profiles if p.university.country == c] for c in (Country.DE, Country.CN)},
            admitted=Counter(),
        )
        with simulated(ctx.clock):
            _build_round(ctx, closed_round, CLOSED_ROUND, closed_timeline(closed_round))
            if open_round.is_open(now):
                _build_round(ctx, open_round, OPEN_ROUND, open_timeline(open_round, now))
    return closed_round, state_counts([open_round, closed_round])


def state_counts(rounds: list[IntakeRound]) -> dict[str, int]:
    """The applications of the rounds per state, decided ones by outcome once released (in the workflow's order)."""
    query = (
        select(Application.state, Decision.outcome, Decision.released_at.is_not(None), func.count(Application.id))
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.round_id.in_([r.id for r in rounds]))
        .group_by(Application.state, Decision.outcome, Decision.released_at.is_not(None))
    )
    keys = [s.value for s in ApplicationState if s != ApplicationState.WITHDRAWN] + [
        f"released:{o.value}" for o in DecisionOutcome
    ]
    counts = dict.fromkeys([*keys, ApplicationState.WITHDRAWN.value], 0)
    for state, outcome, released, count in db.session.execute(query):
        key = f"released:{outcome.value}" if state == ApplicationState.DECIDED and released else state.value
        counts[key] += count
    return {key: count for key, count in counts.items() if count}
