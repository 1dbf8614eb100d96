"""Seed rows for the judging: supervisors' statements, three reviews per submitted application (the known reviewer holds
KNOWN_ASSIGNMENTS of them), last year's decisions (some released) and the confirmation emails in the outbox."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from tests.bench.seed_applications import DAY, Plan, applicant_email
from tests.bench.seed_people import People

REVIEWS_PER_APPLICATION = 3
KNOWN_ASSIGNMENTS = 11
CRITERIA = ("score_academic", "score_proposal", "score_fit", "score_language", "score_references")
COMMENTS = {
    "strongly_admit": "Outstanding record and a convincing, feasible proposal.",
    "admit": "A solid candidate; the proposal needs a sharper research question.",
    "borderline": "Good grades, but the proposal is vague and the supervisors' fit unclear.",
    "reject": "The proposal does not fit the programme's fields.",
}


def statement_rows(plans: list[Plan]) -> Iterator[dict[str, Any]]:
    """Most chosen supervisors of judged applications have answered (willing, under conditions or not)."""
    row_id = 0
    for plan in plans:
        if not plan.judged:
            continue
        rng = random.Random(-plan.id)
        for profile, share in ((plan.german, 0.85), (plan.chinese, 0.75)):
            if profile is None or rng.random() >= share:
                continue
            row_id += 1
            answer = rng.choices(("willing", "conditional", "unwilling"), (70, 15, 15))[0]
            conditional = answer == "conditional"
            when = _judging(plan, rng)
            yield {
                "id": row_id,
                "application_id": plan.id,
                "profile_id": profile,
                "answer": answer,
                "conditions": "Only if the scope is narrowed to one material system." if conditional else "",
                "comment": "" if conditional else "The topic fits my group's work well.",
                "created_at": when,
                "updated_at": when,
            }


def _judging(plan: Plan, rng: random.Random) -> dt.datetime:
    """A moment in the round's judging weeks."""
    start = plan.round.closes_at + 2 * DAY
    end = plan.round.reviews_due - 4 * DAY if plan.round.decided else start + 17 * DAY
    return start + (end - start) * rng.random()


def review_rows(plans: list[Plan], people: People, coordinator: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Assignments, reviews and their first revisions as (table, row); last year's all submitted, this year's mixed."""
    others = people.reviewers[1:]
    known = people.reviewers[0]
    given_to_known = 0
    assignment_id = review_id = 0
    judged = [plan for plan in plans if plan.judged]
    for n, plan in enumerate(judged):
        rng = random.Random(plan.id * 7)
        quality = rng.uniform(2.6, 4.6)
        reviewers = [others[(n * REVIEWS_PER_APPLICATION + k) % len(others)] for k in range(REVIEWS_PER_APPLICATION)]
        if not plan.round.decided and given_to_known < KNOWN_ASSIGNMENTS:
            reviewers[-1] = known
            given_to_known += 1
        assigned_at = plan.round.closes_at + DAY
        for reviewer in reviewers:
            assignment_id += 1
            assignment = {
                "id": assignment_id,
                "application_id": plan.id,
                "reviewer_id": reviewer,
                "assigned_by_id": coordinator,
                "assigned_at": assigned_at,
            }
            yield "review_assignments", assignment
            status = "submitted" if plan.round.decided else rng.choices(("submitted", "draft", "none"), (70, 15, 15))[0]
            if status == "none":
                continue
            review_id += 1
            review, revision = _review(review_id, assignment_id, quality, status, _judging(plan, rng), rng)
            yield "reviews", review
            if revision is not None:
                yield "review_revisions", revision


def _review(
    review_id: int, assignment_id: int, quality: float, status: str, when: dt.datetime, rng: random.Random
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    scores = {name: max(1, min(5, round(quality + rng.uniform(-1.1, 1.1)))) for name in CRITERIA}
    mean = sum(scores.values()) / len(scores)
    recommendation = (
        "strongly_admit" if mean >= 4.4 else "admit" if mean >= 3.6 else "borderline" if mean >= 2.8 else "reject"
    )
    submitted = status == "submitted"
    if not submitted:  # a draft: three scores so far, no recommendation yet
        scores = {name: (value if n < 3 else None) for n, (name, value) in enumerate(scores.items())}
    review = {
        "id": review_id,
        "assignment_id": assignment_id,
        **scores,
        "recommendation": recommendation if submitted else None,
        "comment": COMMENTS[recommendation] if submitted else "First reading done.",
        "created_at": when - DAY,
        "updated_at": when,
        "submitted_at": when if submitted else None,
        "version": 1,
    }
    if not submitted:
        return review, None
    revision = {
        "id": review_id,
        "review_id": review_id,
        "number": 1,
        **scores,
        "recommendation": recommendation,
        "comment": review["comment"],
        "submitted_at": when,
        "note": "",
    }
    return review, revision


def decision_rows(plans: list[Plan], coordinator: int) -> Iterator[dict[str, Any]]:
    """Last year's decisions; most released on the announced day."""
    row_id = 0
    for plan in plans:
        if plan.decision is None:
            continue
        row_id += 1
        decided_at = plan.round.decisions_on - 3 * DAY
        yield {
            "id": row_id,
            "application_id": plan.id,
            "outcome": plan.decision,
            "note": "Decided in the committee's meeting.",
            "decided_by_id": coordinator,
            "decided_at": decided_at,
            "released_at": plan.round.decisions_on if plan.released else None,
        }


def outbox_rows(plans: list[Plan]) -> Iterator[dict[str, Any]]:
    """The confirmation sent for each application that was submitted."""
    row_id = 0
    for plan in plans:
        if plan.submitted_at is None:
            continue
        row_id += 1
        language = plan.who.language
        yield {
            "id": row_id,
            "created_at": plan.submitted_at,
            "user_id": plan.applicant_id,
            "recipient": applicant_email(plan.id),
            "language": language,
            "template": "application_submitted",
            "subject": f"Your application {plan.reference} has been submitted",
            "body": f"Dear {plan.who.account_name},\n\nyour application {plan.reference} has been submitted.\n",
            "state": "sent",
            "attempts": 1,
            "next_attempt_at": plan.submitted_at,
            "last_error": None,
            "sent_at": plan.submitted_at + dt.timedelta(minutes=1),
        }
