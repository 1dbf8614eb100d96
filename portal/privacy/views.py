"""The coordinators' retention page: what the daily purge will delete, round by round, and from when. The purge itself
runs from the command line (`flask portal daily`, `flask portal purge --round NAME`, portal/cli.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from portal.applications.consent import PRIVACY_NOTICE, consent_outdated
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.privacy.retention import OUTCOME_KINDS, PART_KINDS, retention_periods, retention_schedule
from portal.privacy.services import purge_after_days

bp = Blueprint("privacy", __name__, url_prefix="/coordination")


@bp.app_context_processor
def privacy_notice_context() -> dict[str, Any]:
    """What the privacy notice says wherever it is shown (its page, the personal step): its version and the periods."""
    return {
        "privacy_notice": PRIVACY_NOTICE,
        "retention_periods": retention_periods,
        "consent_outdated": consent_outdated,
    }


@bp.get("/retention")
@coordinator_only
def retention():
    return render_template(
        "privacy/retention.html",
        schedule=retention_schedule(),
        days=purge_after_days(),
        now=utcnow(),
        outcome_kinds=OUTCOME_KINDS,
        part_kinds=PART_KINDS,
    )


