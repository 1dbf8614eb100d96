"""Demo data for development: the nine universities, supervisors, the committee, one account per role, an open intake
round and last year's closed one, with about forty applications in every state. Refused in production (portal/cli.py).

accounts.py holds the accounts, two_factor.py the coordinator's and administrator's authenticator key, rounds.py the
rounds, applications.py the applications (written step by step by the services: applicants.py, judging.py, with the
plans of plans.py and the texts of content.py), outbox.py a failed email, record.py two reviewers who disagree strongly
(the coordinators' dashboard lists the application), rubric.py the open round's review rubric,
consent.py a draft whose consents predate the privacy notice in force, joint_plans.py approved joint research plans
and a CSC candidate, interviews.py a booked interview of applicant@example.org.
"""

from __future__ import annotations

from portal import db
from portal.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_password_hash, seed_accounts
from portal.demo.applications import demo_applications_exist, seed_applications
from portal.demo.consent import outdate_one_consent
from portal.demo.interviews import ensure_booked_interview
from portal.demo.joint_plans import ensure_joint_plans
from portal.demo.outbox import ensure_failed_email
from portal.demo.record import ensure_disagreement
from portal.demo.rounds import ensure_open_round
from portal.demo.rubric import ensure_rubric
from portal.demo.two_factor import DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_ACCOUNTS, seed_second_factors
from portal.supervisors import services as supervisors

__all__ = ["DEMO_PASSWORD", "seed_demo"]


def seed_demo() -> dict[str, object]:
    """Load the demo data; running it again changes nothing that is already there."""
    supervisors.sync_universities()
    seed_accounts()
    seed_second_factors()
    intake = ensure_open_round()
    db.session.flush()
    fresh = not demo_applications_exist()
    closed, states = seed_applications(intake, password_hash=demo_password_hash())
    ensure_rubric(intake)
    if fresh:
        outdate_one_consent()
    ensure_failed_email()
    ensure_disagreement()
    ensure_joint_plans()
    ensure_booked_interview()
    return {
        "accounts": [row[0] for row in DEMO_ACCOUNTS],
        "password": DEMO_PASSWORD,
        "two_factor_accounts": DEMO_TWO_FACTOR_ACCOUNTS,
        "two_factor_secret": DEMO_TOTP_SECRET,
        "round": intake.name,
        "closed_round": closed.name,
        "applications": states,
    }
