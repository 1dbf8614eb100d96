"""The rules an assignment proposal must pass again when it is saved, after the coordinator may have edited it
(swapped a proposed reviewer for another).

A proposal is computed from the round as it stood (`RoundState`: the committee, the applications open for review,
their assignments and conflicts); its `basis` is a fingerprint of that. Saving checks, in this order, and saves
nothing when one fails:
- stale: the round changed since (another assignment, a new application, a member more or less) - compute it again;
- each row: an application of the round open for review, an active committee member, no conflict of interest, not
  already assigned, not chosen twice for the same application;
- balance: the edited proposal spreads the loads no less evenly than the computed one, and gives each application the
  German and Chinese reviewers the computed one gave it - else the coordinator confirms ("save it anyway").
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.applications.models import Application
from portal.core.rules import RuleViolation
from portal.review.models import CommitteeMember, ConflictReason, ReviewAssignment
from portal.review.permissions import ConflictMatrix
from portal.supervisors.models import Country


@dataclass
class RoundState:
    """What a proposal is computed from and checked against."""

    members: list[CommitteeMember]
    applications: list[Application]
    existing: list[ReviewAssignment]
    conflicts: ConflictMatrix

    @property
    def basis(self) -> str:
        """A fingerprint of the round as the proposal saw it: applications, committee, assignments."""
        parts = (
            sorted(a.id for a in self.applications),
            sorted(m.user_id for m in self.members),
            sorted((a.application_id, a.reviewer_id) for a in self.existing),
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]

    def loads(self, pairs: list[tuple[int, int]]) -> Counter:
        """Reviews per committee member once the pairs are saved (every member counted, those with none too)."""
        loads = Counter({m.user_id: 0 for m in self.members})
        loads.update(a.reviewer_id for a in self.existing)
        loads.update(user_id for _application_id, user_id in pairs)
        return loads

    def sides(self, pairs: list[tuple[int, int]]) -> dict[int, set[Country]]:
        """The sides (German, Chinese) of each application's reviewers once the pairs are saved."""
        side = {m.user_id: m.university.country for m in self.members}
        sides: dict[int, set[Country]] = {}
        for application_id, user_id in [(a.application_id, a.reviewer_id) for a in self.existing] + pairs:
            if user_id in side:
                sides.setdefault(application_id, set()).add(side[user_id])
        return sides


@dataclass(frozen=True)
class EditedProposal:
    """A proposal as the coordinator saves it: the (application id, reviewer id) pairs, row by row."""

    pairs: list[tuple[int, int]]
    per_application: int
    basis: str
    balance_confirmed: bool = False


class ProposalStale(RuleViolation):
    """The round changed since the proposal was computed."""

    category = "warning"


class ProposalRefused(RuleViolation):
    """Rows of the proposal break a rule; `rows` maps a row's position to the reason shown next to it."""

    def __init__(self, message: str, rows: dict[int, str]) -> None:
        super().__init__(message)
        self.rows = rows


class ProposalUnbalanced(ProposalRefused):
    """The edits make the proposal less balanced than the computed one; saving needs the coordinator's confirmation."""

    category = "warning"


def conflict_message(name: str, application: Application, reasons: set[ConflictReason]) -> str:
    """Why a member cannot be assigned to an application: the conflict of interest and its reasons."""
    return _(
        "%(name)s has a conflict of interest with %(reference)s (%(reasons)s).",
        name=name,
        reference=application.reference,
        reasons=", ".join(sorted(reason.label for reason in reasons)),
    )


def check_edited(edited: EditedProposal, state: RoundState, computed: list[tuple[int, int]]) -> None:
    """Refuse the edited proposal (ProposalStale, ProposalRefused, ProposalUnbalanced) unless it passes every rule."""
    if edited.basis != state.basis:
        raise ProposalStale(
            _(
                "The assignments of this round have changed since the proposal was computed. Nothing has been saved: "
                "here is a new proposal."
            )
        )
    rows = _row_problems(edited.pairs, state)
    if rows:
        raise ProposalRefused(_("Please correct the marked rows. Nothing has been saved."), rows)
    if not edited.balance_confirmed:
        _check_balance(edited.pairs, state, computed)


def _row_problems(pairs: list[tuple[int, int]], state: RoundState) -> dict[int, str]:
    """Each row's problem: unknown application or member, conflict of interest, already assigned, chosen twice."""
    applications = {a.id: a for a in state.applications}
    members = {m.user_id: m for m in state.members}
    existing = {(a.application_id, a.reviewer_id) for a in state.existing}
    problems: dict[int, str] = {}
    for position, pair in enumerate(pairs):
        application, member = applications.get(pair[0]), members.get(pair[1])
        if application is None:
            problems[position] = _("This application is not open for review in this round.")
        elif member is None:
            problems[position] = _("This person is not an active member of the selection committee.")
        elif pair in state.conflicts:
            problems[position] = conflict_message(member.user.name, application, state.conflicts[pair])
        elif pair in existing:
            problems[position] = _(
                "%(name)s already reviews %(reference)s.", name=member.user.name, reference=application.reference
            )
        elif pair in pairs[:position]:
            problems[position] = _(
                "%(name)s is chosen twice for %(reference)s.", name=member.user.name, reference=application.reference
            )
    return problems


def _check_balance(pairs: list[tuple[int, int]], state: RoundState, computed: list[tuple[int, int]]) -> None:
    """ProposalUnbalanced when the edits spread the loads less evenly, or lose a side an application had."""
    names = {m.user_id: m.user.name for m in state.members}
    edited_loads, computed_loads = state.loads(pairs), state.loads(computed)
    problems: dict[int, str] = {}
    summary = []
    if _spread(edited_loads) > _spread(computed_loads):
        (heaviest, most), (lightest, least) = edited_loads.most_common()[0], edited_loads.most_common()[-1]
        summary.append(
            _(
                "The loads are less even than in the computed proposal: %(heaviest)s would review %(most)d "
                "applications, %(lightest)s %(least)d.",
                heaviest=names[heaviest],
                most=most,
                lightest=names[lightest],
                least=least,
            )
        )
    edited_sides, computed_sides = state.sides(pairs), state.sides(computed)
    for application_id in dict.fromkeys(application_id for application_id, _user_id in pairs):
        lost = computed_sides.get(application_id, set()) - edited_sides.get(application_id, set())
        if not lost:
            continue
        # Named next to the rows the coordinator changed for that application.
        rows = [p for p, pair in enumerate(pairs) if pair[0] == application_id and pair not in computed]
        for row in rows or [next(p for p, pair in enumerate(pairs) if pair[0] == application_id)]:
            problems[row] = (
                _("No reviewer from a German university any more.")
                if Country.DE in lost
                else _("No reviewer from a Chinese university any more.")
            )
    if summary or problems:
        summary.append(_("Check the proposal once more, or tick “Save it anyway” and save again."))
        raise ProposalUnbalanced(" ".join(summary), problems)


def _spread(loads: Counter) -> int:
    return max(loads.values()) - min(loads.values()) if loads else 0
