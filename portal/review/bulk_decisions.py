"""Bulk decisions from the ranking: one outcome for the selected applications, each row with its own warnings
(review.guardrails), confirmed together with one reason. All or nothing: one refused row refuses the whole set.

The confirmation page sends back, per row, the version and the warnings it showed: a row changed since (a decision
posted twice, another coordinator's change) is stale, and warnings not shown (a capacity filled meanwhile) are asked for
again. Admitting several candidates of the same supervisor counts the earlier rows of the set against the capacity.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.versions import StaleVersion, version_of
from portal.review.decisions import DecisionError, admission_loads, can_decide, lock_supervisors, write_decision
from portal.review.guardrails import DecisionWarning, WarningKind, check_confirmed, kinds_text, warnings_for
from portal.review.ranking import RankingRow, rows_of

MAX_BULK = 200  # rows in one bulk decision (the ranking of a large round is decided in parts)


@dataclass(frozen=True)
class SeenRow:
    """A row as the confirmation page showed it: the application, its version and the warnings' kinds."""

    application_id: int
    version: int
    confirmed: frozenset[WarningKind]


@dataclass(frozen=True)
class BulkRow:
    """A selected application with the warnings deciding it would raise."""

    row: RankingRow
    warnings: list[DecisionWarning]

    @property
    def application(self) -> Application:
        return self.row.application

    @property
    def token(self) -> str:
        """What the confirmation page sends back for this row (SeenRow)."""
        return f"{self.application.id}:{version_of(self.application)}:{kinds_text(self.warnings)}"


def _chosen(intake: IntakeRound, ids: Iterable[int]) -> list[RankingRow]:
    """The ranking rows of the given applications, which must all be decidable applications of the round."""
    ids = sorted(set(ids))
    if not ids:
        raise DecisionError(_("Please select at least one application."), field="application_ids")
    if len(ids) > MAX_BULK:
        raise DecisionError(
            _("Please select at most %(count)d applications at once.", count=MAX_BULK), field="application_ids"
        )
    rows = rows_of(select(Application.id).where(Application.id.in_(ids), Application.round_id == intake.id))
    if len(rows) != len(ids):
        raise DecisionError(_("Some of the selected applications are not in this round."), field="application_ids")
    for row in rows:
        if not can_decide(row.application):
            raise DecisionError(
                _("%(reference)s can no longer be decided.", reference=row.application.reference),
                field="application_ids",
            )
    return sorted(rows, key=lambda r: r.application.reference or "")


def bulk_rows(intake: IntakeRound, ids: Iterable[int], outcome: DecisionOutcome) -> list[BulkRow]:
    """Each selected application with its warnings, the earlier rows' admissions counted against the capacities."""
    rows = _chosen(intake, ids)
    if outcome == DecisionOutcome.ADMIT:
        lock_supervisors(row.application for row in rows)
    pending: Counter[int] = Counter()
    result = []
    for row in rows:
        result.append(BulkRow(row, warnings_for(row, outcome, admission_loads(row.application, outcome, pending))))
        if outcome == DecisionOutcome.ADMIT:
            pending.update(
                p for p in (row.application.german_supervisor_id, row.application.chinese_supervisor_id) if p
            )
    return result


def record_bulk(
    intake: IntakeRound, seen: list[SeenRow], *, outcome: DecisionOutcome, reason: str, by: User, now: dt.datetime
) -> list[Application]:
    """Record the outcome for every row the coordinator confirmed, or for none (a refused row refuses all)."""
    confirmed = {row.application_id: row for row in seen}
    rows = bulk_rows(intake, confirmed, outcome)
    for bulk in rows:
        shown = confirmed[bulk.application.id]
        if shown.version != version_of(bulk.application):
            raise StaleVersion()
        check_confirmed(bulk.warnings, shown.confirmed, reason)
    for bulk in rows:
        note = bulk.application.decision.note if bulk.application.decision else ""
        personal = bulk.application.decision.personal_note if bulk.application.decision else ""
        write_decision(bulk.application, outcome, note, personal, by, now, bulk.warnings, reason)
    ids = [bulk.application.id for bulk in rows]
    audit.record(
        "decisions.bulk_recorded", intake, actor_id=by.id, details={"outcome": outcome.value, "application_ids": ids}
    )
    return [bulk.application for bulk in rows]
