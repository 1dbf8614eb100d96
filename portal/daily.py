"""What must happen each day (`flask --app app portal daily`, from cron), in this order:

1. the submitted applications of rounds whose deadline has passed go under review;
2. due reminders are written to the outbox (referees whose link expires soon, reviewers whose reviews are due;
   interviews starting within two days: interviews/reminders.py);
3. every round whose retention period has passed is purged (privacy/services.py: the same rules and audit as
   `flask portal purge`);
4. texts past the retention period go: bulk mails' texts from the audit log, sent emails from the outbox;
5. ended sessions (with their addresses and browsers) are forgotten, and the IDs of expired SAML assertions;
6. CSC candidates and their supervisors are reminded of what is missing before the CSC window closes;
7. on SQLite, the query planner's statistics are refreshed (ANALYZE): without them SQLite may read a whole round to
   find one reviewer's assignments. PostgreSQL keeps its own (autovacuum).

Each step is its own transaction: one that fails is rolled back and reported, the others still run. Running it again
the same day does nothing more: reminders remember when they were sent, moved applications and purged rounds have
nothing left to move or delete, expired texts are gone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, text

from portal import db
from portal.accounts.sessions import forget_old_sessions
from portal.applications.models import IntakeRound
from portal.applications.workflow import begin_review_of_closed_rounds
from portal.core.kept_posts import forget_old_kept_posts
from portal.interviews.reminders import send_interview_reminders
from portal.letters.services import send_csc_reminders
from portal.privacy.retention import expire_bulk_mail_texts, expire_sent_emails
from portal.privacy.services import PurgeRefused, plan_purge, purge
from portal.review.reminders import send_due_reminders
from portal.saml.services import forget_used_assertions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepResult:
    step: str
    message: str
    failed: bool = False


def _begin_review(now: dt.datetime) -> str:
    return f"applications of closed rounds now under review: {begin_review_of_closed_rounds(now)}"


def _remind(now: dt.datetime) -> str:
    report = send_due_reminders(now=now)
    return (
        f"reminders written to the outbox: {report.total} ({report.referees} to referees, {report.reviewers} to "
        "reviewers)"
    )


def _remind_interviews(now: dt.datetime) -> str:
    return f"interviews reminded (applicant and panel): {send_interview_reminders(now)}"


def _purge_round(intake: IntakeRound, now: dt.datetime) -> str | None:
    """Purge the round if its retention period has passed and something is left to delete; what was deleted."""
    try:
        plan = plan_purge(intake, now=now)
    except PurgeRefused:
        return None  # not due (the coordinators' retention page says when it will be)
    if not plan.applications:
        return None
    counts = purge(plan)
    return (
        f"purged {intake.name}: {counts['applications']} applications, {counts['documents']} documents with their "
        f"files, {counts['referees']} referees, {counts['statements']} statements, {counts['reviews']} reviews, "
        f"{counts['decisions']} decisions, {counts['accounts']} accounts; {plan.kept_admitted} admitted kept"
    )


def _expire_texts(now: dt.datetime) -> str:
    texts, emails = expire_bulk_mail_texts(now), expire_sent_emails(now)
    return f"texts past the retention period removed: {texts} bulk mail texts in the audit log, {emails} sent emails"


def _forget_sessions(now: dt.datetime) -> str:
    sessions, posts = forget_old_sessions(now), forget_old_kept_posts(now)
    return f"ended sessions forgotten: {sessions}; kept form posts forgotten: {posts}"


def _forget_assertions(now: dt.datetime) -> str:
    return f"expired SAML assertion IDs forgotten: {forget_used_assertions(now)}"


def _csc(now: dt.datetime) -> str:
    return f"CSC reminders written to the outbox: {send_csc_reminders(now)}"


def _statistics(now: dt.datetime) -> str | None:
    if db.session.get_bind().dialect.name != "sqlite":
        return None
    db.session.execute(text("ANALYZE"))
    return "query planner statistics refreshed (ANALYZE)"


def _steps() -> list[tuple[str, Callable[[dt.datetime], str | None]]]:
    rounds = db.session.scalars(select(IntakeRound).order_by(IntakeRound.opens_at)).all()
    purges = [(f"purge {r.name}", lambda now, r=r: _purge_round(r, now)) for r in rounds]
    first = [("review", _begin_review), ("reminders", _remind), ("interviews", _remind_interviews)]
    last = [("expiry", _expire_texts), ("sessions", _forget_sessions), ("saml", _forget_assertions), ("csc", _csc)]
    last.append(("statistics", _statistics))
    return [*first, *purges, *last]


def run_daily(now: dt.datetime) -> list[StepResult]:
    """Run every daily step in its own transaction; what each did (steps with nothing to do say nothing)."""
    results = []
    for step, run in _steps():
        try:
            message = run(now)
            db.session.commit()
        except Exception as error:  # one step's failure must not keep the others from running
            db.session.rollback()
            logger.exception("Daily step %s failed", step)
            results.append(StepResult(step, f"failed, nothing of it was kept: {error}", failed=True))
            continue
        if message is not None:
            results.append(StepResult(step, message))
    return results
