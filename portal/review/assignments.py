"""Assigning committee members to applications: by hand, or by a proposal that balances loads and mixes sides."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, IntakeRound
from portal.applications.workflow import begin_review
from portal.core import audit
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.urls import absolute_url
from portal.review.models import CommitteeMember, Conflict, ConflictReason, ReviewAssignment
from portal.review.permissions import (
    JUDGED_STATES,
    OPEN_FOR_REVIEW,
    ConflictMatrix,
    assignment_of,
    conflict_matrix,
    conflict_reasons,
)
from portal.review.proposal_rules import EditedProposal, RoundState, check_edited, conflict_message
from portal.supervisors.models import Country

DEFAULT_REVIEWERS_PER_APPLICATION = 2


class AssignmentError(RuleViolation):
    """An assignment rule was broken; the message is for the user."""


def committee_members() -> list[CommitteeMember]:
    """Active users holding the committee role, with their seat (university)."""
    query = (
        select(CommitteeMember)
        .join(CommitteeMember.user)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.COMMITTEE)
        .order_by(User.name)
    )
    return list(db.session.scalars(query).unique())


def round_applications(intake: IntakeRound) -> list[Application]:
    """The round's applications open for review, with what the board shows loaded in bulk."""
    query = (
        select(Application)
        .where(Application.round_id == intake.id, Application.state.in_(OPEN_FOR_REVIEW))
        .options(
            selectinload(Application.referees),
            selectinload(Application.german_supervisor),
            selectinload(Application.chinese_supervisor),
        )
        .order_by(Application.reference)
    )
    return list(db.session.scalars(query))


def member_conflicts(applications: list[Application], members: list[CommitteeMember]) -> ConflictMatrix:
    """Every (application id, member user id) pair in conflict, with the reasons (one query)."""
    return conflict_matrix([a.id for a in applications], [member.user for member in members])


def round_assignments(intake: IntakeRound) -> list[ReviewAssignment]:
    query = select(ReviewAssignment).join(Application).where(Application.round_id == intake.id)
    return list(db.session.scalars(query))


def assign(application: Application, reviewer: User, *, by: User | None, now: dt.datetime) -> ReviewAssignment:
    """Assign a committee member to an application; conflicts are never assigned."""
    if application.state not in OPEN_FOR_REVIEW:
        raise AssignmentError(_("Only submitted applications can be assigned for review."))
    if not reviewer.active or not reviewer.has_role(Role.COMMITTEE):
        raise AssignmentError(_("%(name)s is not an active member of the selection committee.", name=reviewer.name))
    reasons = conflict_reasons(reviewer, application)
    if reasons:
        raise AssignmentError(conflict_message(reviewer.name, application, reasons))
    existing = assignment_of(reviewer, application)
    if existing is not None:
        return existing
    assignment = ReviewAssignment(
        application=application, reviewer=reviewer, assigned_by_id=by.id if by else None, assigned_at=now
    )
    db.session.add(assignment)
    db.session.flush()
    begin_review(application)
    audit.record("review.assigned", application, actor_id=by.id if by else None, details={"reviewer_id": reviewer.id})
    return assignment


def tell_reviewers(made: list[ReviewAssignment]) -> None:
    """One email per reviewer for a saved batch of assignments, listing their new applications, in their language."""
    by_reviewer: dict[int, list[ReviewAssignment]] = {}
    for assignment in made:
        by_reviewer.setdefault(assignment.reviewer_id, []).append(assignment)
    for batch in by_reviewer.values():
        applications = sorted((a.application for a in batch), key=lambda a: a.reference or "")
        notify(
            batch[0].reviewer,
            "review_assigned",
            applications=applications,
            due=applications[0].intake_round.reviews_due,
            link=absolute_url("review.dashboard"),
        )


def assign_and_tell(application: Application, reviewer: User, *, by: User, now: dt.datetime) -> ReviewAssignment:
    """Assign one reviewer by hand (a batch of one): the reviewer is told, unless they already were assigned."""
    known = assignment_of(reviewer, application)
    assignment = assign(application, reviewer, by=by, now=now)
    if known is None:
        tell_reviewers([assignment])
    return assignment


def unassign(assignment: ReviewAssignment, *, by: User | None, reason: str = "removed") -> None:
    """Remove an assignment (and its review, if any); the reviewer is told unless they removed it themselves."""
    application = assignment.application
    if by is None or by.id != assignment.reviewer_id:
        notify(assignment.reviewer, "review_unassigned", application=application, link=absolute_url("review.dashboard"))
    db.session.delete(assignment)
    db.session.flush()
    audit.record(
        "review.unassigned",
        application,
        actor_id=by.id if by else None,
        details={"reviewer_id": assignment.reviewer_id, "reason": reason},
    )


def declare_conflict(member: User, application: Application, note: str, *, now: dt.datetime) -> Conflict:
    """A member declares a conflict: the assignment goes, the coordinators are told."""
    if application.state not in JUDGED_STATES:
        raise AssignmentError(_("This application is not under review."))
    conflict = db.session.scalars(
        select(Conflict).where(Conflict.application_id == application.id, Conflict.user_id == member.id)
    ).first()
    if conflict is None:
        conflict = Conflict(
            application_id=application.id,
            user_id=member.id,
            reason=ConflictReason.DECLARED,
            note=note.strip(),
            created_at=now,
        )
        db.session.add(conflict)
    assignment = assignment_of(member, application)
    if assignment is not None:
        unassign(assignment, by=member, reason="conflict declared")
    db.session.flush()
    audit.record("review.conflict_declared", application, actor_id=member.id, details={"note": note.strip()})
    link = absolute_url("review.assignments", round_id=application.round_id)
    for coordinator in _coordinators():
        notify(coordinator, "conflict_declared", member=member, application=application, note=note.strip(), link=link)
    return conflict


def _coordinators() -> list[User]:
    query = select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.active.is_(True))
    return list(db.session.scalars(query))


@dataclass
class Proposal:
    """Proposed new assignments for a round (by application reference), the members each row may be swapped for,
    the applications that could not get enough reviewers, and what the proposal was computed from."""

    per_application: int
    basis: str
    pairs: list[tuple[Application, CommitteeMember]] = field(default_factory=list)
    options: dict[int, list[CommitteeMember]] = field(default_factory=dict)  # application id -> members to choose
    short: dict[int, int] = field(default_factory=dict)  # application id -> reviewers still missing
    positions: list[int] = field(default_factory=list)  # each pair's row as the coordinator sent it (problems)

    @property
    def loads(self) -> Counter:
        return Counter(member.user_id for _application, member in self.pairs)

    @property
    def id_pairs(self) -> list[tuple[int, int]]:
        return [(application.id, member.user_id) for application, member in self.pairs]


def round_state(intake: IntakeRound) -> RoundState:
    """The committee, the round's applications open for review, their assignments and conflicts."""
    members = committee_members()
    applications = round_applications(intake)
    return RoundState(members, applications, round_assignments(intake), member_conflicts(applications, members))


def _options(state: RoundState) -> dict[int, list[CommitteeMember]]:
    """Per application, the members a row of the proposal may name: no conflict, not assigned already."""
    blocked = set(state.conflicts) | {(a.application_id, a.reviewer_id) for a in state.existing}
    return {a.id: [m for m in state.members if (a.id, m.user_id) not in blocked] for a in state.applications}


def propose(
    intake: IntakeRound, per_application: int = DEFAULT_REVIEWERS_PER_APPLICATION, state: RoundState | None = None
) -> Proposal:
    """Give every application `per_application` reviewers: balanced loads, at least one German and one Chinese
    member where possible, never a conflict. Existing assignments count. Nothing is saved."""
    state = state or round_state(intake)
    members, applications = state.members, state.applications
    load = Counter(a.reviewer_id for a in state.existing)
    assigned: dict[int, set[int]] = {}
    for a in state.existing:
        assigned.setdefault(a.application_id, set()).add(a.reviewer_id)
    side = {m.user_id: m.university.country for m in members}
    eligible = {a.id: [m for m in members if (a.id, m.user_id) not in state.conflicts] for a in applications}
    proposal = Proposal(per_application, state.basis, options=_options(state))
    # The hardest applications first: those with the fewest possible reviewers.
    for application in sorted(applications, key=lambda a: (len(eligible[a.id]), a.id)):
        chosen = assigned.setdefault(application.id, set())
        for member in _pick(eligible[application.id], chosen, load, side, per_application - len(chosen)):
            proposal.pairs.append((application, member))
        if len(chosen) < per_application:
            proposal.short[application.id] = per_application - len(chosen)
    proposal.pairs.sort(key=lambda pair: (pair[0].reference or "", pair[0].id))  # shown in the order of the board
    proposal.positions = list(range(len(proposal.pairs)))
    return proposal


def _pick(
    eligible: list[CommitteeMember], chosen: set[int], load: Counter, side: dict[int, Country], wanted: int
) -> list[CommitteeMember]:
    """Up to `wanted` more reviewers: a member of a side still missing first, then the lightest load (chosen and
    load take in each pick)."""
    picked: list[CommitteeMember] = []
    for _pick_number in range(wanted):
        candidates = [m for m in eligible if m.user_id not in chosen]
        if not candidates:
            break
        missing_sides = {Country.DE, Country.CN} - {side[uid] for uid in chosen if uid in side}
        best = min(
            candidates,
            key=lambda m: (m.university.country not in missing_sides, load[m.user_id], m.user.name, m.user_id),
        )
        chosen.add(best.user_id)
        load[best.user_id] += 1
        picked.append(best)
    return picked


def edited_proposal(intake: IntakeRound, edited: EditedProposal) -> Proposal:
    """The proposal as the coordinator sent it, to show again with their choices (when saving it was refused)."""
    state = round_state(intake)
    computed = propose(intake, edited.per_application, state)
    applications = {a.id: a for a in state.applications}
    members = {m.user_id: m for m in state.members}
    shown = Proposal(edited.per_application, edited.basis, options=computed.options, short=computed.short)
    for position, (application_id, user_id) in enumerate(edited.pairs):
        if application_id in applications and user_id in members:  # else forged: its problem is listed alone
            shown.positions.append(position)
            shown.pairs.append((applications[application_id], members[user_id]))
            if members[user_id] not in shown.options[application_id]:  # keep what was sent, to show what is wrong
                shown.options[application_id] = [*shown.options[application_id], members[user_id]]
    return shown


def apply_proposal(intake: IntakeRound, edited: EditedProposal, *, by: User, now: dt.datetime) -> int:
    """Save the proposal as the coordinator edited it, once it passes the rules again (proposal_rules: not stale, no
    conflict, no duplicate, balanced or confirmed); returns how many assignments were made. Saves all or nothing."""
    state = round_state(intake)
    check_edited(edited, state, propose(intake, edited.per_application, state).id_pairs)
    applications = {a.id: a for a in state.applications}
    members = {m.user_id: m for m in state.members}
    made = [
        assign(applications[application_id], members[reviewer_id].user, by=by, now=now)
        for application_id, reviewer_id in edited.pairs
    ]
    tell_reviewers(made)
    audit.record(
        "review.proposal_applied",
        intake,
        actor_id=by.id,
        details={"assignments": len(edited.pairs), "balance_confirmed": edited.balance_confirmed},
    )
    return len(edited.pairs)


@dataclass
class BoardRow:
    application: Application
    assignments: list[ReviewAssignment]
    available: list[CommitteeMember]
    conflicted: list[tuple[CommitteeMember, set[ConflictReason]]]


@dataclass
class AssignmentBoard:
    rows: list[BoardRow]
    members: list[CommitteeMember]
    loads: Counter


def assignment_board(intake: IntakeRound) -> AssignmentBoard:
    """The round's applications with their reviewers, who else may be assigned and who is conflicted."""
    members = committee_members()
    applications = round_applications(intake)
    matrix = member_conflicts(applications, members)
    by_application: dict[int, list[ReviewAssignment]] = {}
    existing = db.session.scalars(
        select(ReviewAssignment)
        .join(Application)
        .where(Application.round_id == intake.id)
        .options(selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.review))
    )
    for assignment in existing:
        by_application.setdefault(assignment.application_id, []).append(assignment)
    rows = []
    for application in applications:
        taken = {a.reviewer_id for a in by_application.get(application.id, [])}
        rows.append(
            BoardRow(
                application=application,
                assignments=by_application.get(application.id, []),
                available=[m for m in members if m.user_id not in taken and (application.id, m.user_id) not in matrix],
                conflicted=[
                    (m, matrix[(application.id, m.user_id)]) for m in members if (application.id, m.user_id) in matrix
                ],
            )
        )
    loads = Counter(a.reviewer_id for assignments in by_application.values() for a in assignments)
    return AssignmentBoard(rows=rows, members=members, loads=loads)
