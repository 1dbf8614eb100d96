"""The judging of a demo application: referees' letters, supervisors' statements, assignments, conflicts and reviews,
each written by the service that makes it in real use, at a simulated time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.core.tokens import new_token
from portal.core.versions import version_of
from portal.demo.applicants import Built
from portal.demo.content import REVIEW_COMMENTS, STATEMENT_COMMENTS
from portal.demo.context import Context, make_pdf
from portal.demo.plans import COORDINATOR, REVIEWERS
from portal.demo.rounds import within
from portal.referees.services import receive_letter
from portal.review.assignments import assign, declare_conflict
from portal.review.models import CRITERIA, StatementAnswer
from portal.review.services import save_review
from portal.review.statements import capacity_in_round, record_statement
from portal.supervisors.services import set_availability


def letters(ctx: Context, built: Built, letter_at: dt.datetime) -> None:
    person, count = built.person, built.plan[7]
    for referee in built.application.referees[:count]:
        token, token_hash = new_token()  # the emailed link's token is not kept: issue the one this referee "uses"
        referee.token_hash = token_hash
        ctx.clock.at(letter_at + dt.timedelta(hours=ctx.rng.randint(1, 72)))
        body = (
            f"I have known {person.given} {person.family} for three years as a student in my courses and as the "
            "author of a thesis in my group. The work was independent, careful and well written. I recommend the "
            "candidate for the doctoral programme without reservation."
        )
        if referee.position == 1:
            pdf = make_pdf("Letter of recommendation", [referee.name, referee.institution, body])
            receive_letter(referee, token, now=ctx.clock.now, pdf=pdf, filename="Recommendation.pdf")
        else:
            receive_letter(referee, token, now=ctx.clock.now, text=body)


def statements(ctx: Context, built: Built, window: tuple[dt.datetime, dt.datetime]) -> None:
    application = built.application
    codes = {"w": StatementAnswer.WILLING, "c": StatementAnswer.CONDITIONAL, "u": StatementAnswer.UNWILLING}
    for profile, code in zip(
        (application.german_supervisor, application.chinese_supervisor), built.plan[5], strict=True
    ):
        if profile is None or code not in codes:
            continue
        answer = codes[code]
        now = ctx.clock.at(within(ctx.rng, window), profile.user)
        room = capacity_in_round(profile, application.round_id)
        if answer.agrees and room.full:  # as a supervisor must: raise the capacity first, then agree
            set_availability(profile, accepting=profile.accepting_candidates, capacity=room.agreed + 1)
        record_statement(
            profile.user,
            application,
            answer=answer,
            conditions=STATEMENT_COMMENTS[answer] if answer == StatementAnswer.CONDITIONAL else "",
            comment=STATEMENT_COMMENTS[answer] if answer != StatementAnswer.CONDITIONAL else "",
            now=now,
            expected_version=0,  # each supervisor states once in the demo
        )


def _review_values(ctx: Context, quality: float, complete: bool) -> dict[str, Any]:
    scores = {name: max(1, min(5, round(quality + ctx.rng.uniform(-1.1, 1.1)))) for name in CRITERIA}
    mean = sum(scores.values()) / len(scores)
    recommendation = (
        "strongly_admit" if mean >= 4.4 else "admit" if mean >= 3.6 else "borderline" if mean >= 2.8 else "reject"
    )
    if not complete:  # a draft: a few scores so far, no recommendation yet
        return {name: value for name, value in list(scores.items())[:3]} | {"comment": "First reading done."}
    return {**scores, "recommendation": recommendation, "comment": REVIEW_COMMENTS[recommendation]}


def reviews(ctx: Context, built: Built, assign_at: dt.datetime, window: tuple[dt.datetime, dt.datetime]) -> None:
    application, outcome = built.application, built.plan[1].partition(":")[2]
    quality = {"admit": 4.4, "waiting_list": 3.7, "reject": 2.7}.get(outcome, ctx.rng.uniform(2.8, 4.4))
    coordinator = ctx.users[COORDINATOR]
    for code in built.plan[6].split():
        reviewer, status = ctx.users[REVIEWERS[code[0]]], code[1]
        if status == "x":
            declare_conflict(
                reviewer,
                application,
                "I co-authored a paper with the applicant's master thesis supervisor.",
                now=ctx.clock.at(assign_at - dt.timedelta(hours=2), reviewer),
            )
            continue
        assignment = assign(application, reviewer, by=coordinator, now=ctx.clock.at(assign_at, coordinator))
        if status == "n":
            continue
        now = ctx.clock.at(within(ctx.rng, window), reviewer)
        values = _review_values(ctx, quality, complete=status != "d")
        save_review(assignment, values, submit=status != "d", expected_version=version_of(assignment.review), now=now)
        if status == "r":
            values["score_references"] = min(5, values["score_references"] + 1)
            values["note"] = "Raised the references score after the second letter arrived."
            version = version_of(assignment.review)
            later = ctx.clock.at(now + (window[1] - now) / 2, reviewer)
            save_review(assignment, values, submit=True, expected_version=version, now=later)
