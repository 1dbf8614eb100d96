"""Seed rows for the two rounds and their applications, with education, documents and referees.

The current round (the list's and the exports' round, closed three weeks ago, in review) holds the requested number of
applications; last year's round holds a tenth as many, decided. Each application is planned once (Plan), and every
table's rows are derived from the plans, so that all ids are known without reading them back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from portal.applications import keys
from tests.bench.seed_people import KNOWN, People, Person, applicant_rows, person

DAY = dt.timedelta(days=1)
# Kinds of the six ~1 MB documents of the dossier application, and of everyone else's three small ones.
SCAN_KINDS = ("cv", "degree_certificate", "transcript", "research_proposal", "language_certificate", "other")
SMALL_KINDS = ("cv", "research_proposal", "degree_certificate")
FIELDS = (
    "intelligent_manufacturing",
    "big_data",
    "energy_hydrogen",
    "materials",
    "digital_health",
    "economics_society",
)
TITLES = (
    "Hydrogen storage in metal hydrides",
    "Digital twins for additive manufacturing",
    "Federated learning on hospital data",
    "氢能储存与燃料电池的耐久性",
    "Lithium recovery from spent batteries",
    "Economic effects of the Belt and Road Initiative",
    "智能制造中的预测性维护",
)
ABSTRACT = (
    "The project studies the question on three scales, from laboratory experiments to a pilot plant, and develops "
    "models that the partner university in China will validate with its own data. " * 3
)


@dataclass
class Round:
    """An intake round as seeded."""

    id: int
    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    reviews_due: dt.datetime
    decisions_on: dt.datetime
    count: int
    decided: bool

    @property
    def reference_year(self) -> int:
        """The year in the round's reference numbers, as IntakeRound.reference_year has it."""
        return self.closes_at.year + (1 if self.closes_at.month >= 7 else 0)


@dataclass
class Plan:
    """One application: who, which state, which supervisors; the ids of its rows are filled in as they are made."""

    id: int
    round: Round
    applicant_id: int
    who: Person
    state: str
    reference: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    field: str
    german: int | None
    chinese: int | None
    letters: tuple[bool, bool]
    decision: str | None = None
    released: bool = False
    letter_document: int | None = None
    scans: bool = False
    documents: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, storage key, ~1 MB scan?)

    @property
    def judged(self) -> bool:
        """Submitted or decided: assigned to reviewers, with statements."""
        return self.state in {"submitted", "decided"}


def rounds(now: dt.datetime, applications: int) -> list[Round]:
    """The current round (id 1, the requested count) and last year's, decided (id 2, a tenth as many)."""
    year = dt.timedelta(days=365)
    current = Round(1, f"Bench intake {now.year}", now - 120 * DAY, now - 21 * DAY, now + 20 * DAY, now + 50 * DAY,
                    count=applications, decided=False)  # fmt: skip
    previous = Round(2, f"Bench intake {now.year - 1}", current.opens_at - year, current.closes_at - year,
                     current.reviews_due - year, current.decisions_on - year, count=max(1, applications // 10),
                     decided=True)  # fmt: skip
    return [current, previous]


def round_rows(seeded: list[Round], now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """The intake_rounds rows, and the reference counters at the numbers handed out."""
    intake_rounds = [
        {
            "id": r.id,
            "name": r.name,
            "opens_at": r.opens_at,
            "closes_at": r.closes_at,
            "referees_due": r.closes_at + 14 * DAY,
            "reviews_due": r.reviews_due,
            "decisions_on": r.decisions_on,
            "created_at": r.opens_at - 20 * DAY,
        }
        for r in seeded
    ]
    counters = [{"year": r.reference_year, "last_number": r.count} for r in seeded]
    return {"intake_rounds": intake_rounds, "reference_counters": counters}


def plan_applications(seeded: list[Round], people: People, rng: random.Random) -> list[Plan]:
    """Every application of both rounds; the first is the known applicant's, with the six ~1 MB documents."""
    plans: list[Plan] = []
    user_id = people.next_user_id
    for intake in seeded:
        span = intake.closes_at - intake.opens_at
        for index in range(intake.count):
            app_id = len(plans) + 1
            draw = rng.random()
            drafts, withdrawals = (0.10, 0.15) if not intake.decided else (0.05, 0.10)
            state = "draft" if draw < drafts else "withdrawn" if draw < withdrawals else "submitted"
            if app_id == 1:
                state = "submitted"
            created = intake.opens_at + span * rng.uniform(0.0, 0.6)
            submitted = None
            if state == "submitted" or (state == "withdrawn" and rng.random() < 0.5):
                submitted = min(created + DAY * rng.uniform(1, 40), intake.closes_at - DAY * rng.uniform(0, 1))
            reference = f"IPK-{intake.reference_year}-{index + 1:05d}" if submitted else None
            withdrawn = (submitted or created) + DAY * rng.uniform(1, 20) if state == "withdrawn" else None
            chosen = state != "draft" or rng.random() < 0.5
            received = 1.0 if intake.decided else 0.75
            plan = Plan(
                id=app_id,
                round=intake,
                applicant_id=user_id,
                who=person(rng),
                state=state,
                reference=reference,
                created_at=created,
                submitted_at=submitted,
                withdrawn_at=withdrawn,
                field=rng.choice(FIELDS),
                german=people.german_profiles[0] if app_id == 1 else rng.choice(people.german_profiles),
                chinese=rng.choice(people.chinese_profiles) if chosen else None,
                letters=(bool(submitted) and rng.random() < received, bool(submitted) and rng.random() < received),
                scans=app_id == 1,
            )
            if not chosen:
                plan.german = None
            if intake.decided and plan.judged and rng.random() < 0.95:
                plan.state = "decided"
                plan.decision = rng.choices(("admit", "waiting_list", "reject"), (12, 8, 80))[0]
                plan.released = rng.random() < 0.7
            plans.append(plan)
            user_id += 1
    return plans


def account_rows(plans: list[Plan], people: People, now: dt.datetime) -> Iterator[tuple[str, dict]]:
    """Each applicant's account and role (the first is the known applicant)."""
    first_role = len(people.rows["user_roles"]) + 1
    for n, plan in enumerate(plans):
        password_hash = people.password_hash if plan.id == 1 else None
        yield from applicant_rows(
            plan.applicant_id, first_role + n, applicant_email(plan.id), plan.who, now, password_hash
        )


def applicant_email(application_id: int) -> str:
    """The address of the applicant of an application (the first is the known applicant)."""
    return KNOWN["applicant"] if application_id == 1 else f"applicant{application_id}@bench.example"


def application_rows(plans: list[Plan]) -> Iterator[dict[str, Any]]:
    """The applications rows; drafts have only some of the data."""
    for plan in plans:
        rng = random.Random(plan.id)
        complete = plan.state != "draft" or rng.random() < 0.4
        who = plan.who
        updated = plan.withdrawn_at or plan.submitted_at or plan.created_at
        family = who.family if complete or rng.random() < 0.5 else ""
        given = who.given if complete or rng.random() < 0.5 else ""
        email = applicant_email(plan.id)
        yield {
            "id": plan.id,
            "round_id": plan.round.id,
            "applicant_id": plan.applicant_id,
            "state": plan.state,
            "reference": plan.reference,
            "version": 1,
            "created_at": plan.created_at,
            "updated_at": updated,
            "submitted_at": plan.submitted_at,
            "withdrawn_at": plan.withdrawn_at,
            "family_name": family,
            "given_names": given,
            "native_name": who.native,
            # Bulk inserts bypass the ORM events that keep these keys (portal/applications/models.py).
            "name_key": keys.name_key(family, given, who.account_name),
            "search_key": keys.search_key(plan.reference, family, given, who.native, who.account_name, email),
            "date_of_birth": dt.date(1990 + rng.randint(0, 10), rng.randint(1, 12), rng.randint(1, 28)),
            "nationality": who.nationality,
            "address": "Room 301, 1239 Siping Road, Shanghai" if who.nationality == "CN" else "Hauptstraße 1, Berlin",
            "phone": f"+86 138 {plan.id:08d}",
            "privacy_consent_at": plan.created_at,
            "privacy_consent_version": "2026-01",
            "transfer_consent_at": plan.created_at,
            "transfer_consent_version": "2026-01",
            "english_level": rng.choice(("B2", "C1", "C2")),
            "english_certificate": "IELTS 7.0" if complete else "",
            "german_level": rng.choice(("none", "A1", "A2", "B1")),
            "chinese_level": "native" if who.nationality == "CN" else rng.choice(("none", "A1")),
            "chinese_hsk": None,
            "proposal_title": rng.choice(TITLES) if complete else "",
            "research_field": plan.field if complete else None,
            "abstract": ABSTRACT if complete else "",
            "keywords": plan.field.replace("_", ", ") if complete else "",
            "german_supervisor_id": plan.german,
            "chinese_supervisor_id": plan.chinese,
            "supervisor_motivation": "Both groups work on the topic and have published together." if complete else "",
            "declaration_at": plan.submitted_at,
        }


def education_rows(plans: list[Plan]) -> Iterator[dict[str, Any]]:
    """A master's and a bachelor's degree for each application that has left the draft stage."""
    row_id = 0
    for plan in plans:
        if plan.submitted_at is None:
            continue
        for level, degree, year in (("bachelor", "B.Eng.", 2016), ("master", "M.Sc.", 2019)):
            row_id += 1
            abroad = plan.who.nationality
            yield {
                "id": row_id,
                "application_id": plan.id,
                "level": level,
                "degree": degree,
                "subject": plan.field.replace("_", " ").title(),
                "institution": "同济大学" if abroad == "CN" else "National University",
                "country": abroad,
                "year": year + plan.id % 4,
                "grade": "88/100",
                "grading_scale": "0-100, pass 60",
            }


def storage_key(document_id: int) -> str:
    """A key shaped as portal/core/storage.py makes them (xx/yy/<40 hex>.pdf); yy is fixed to keep directories few."""
    digest = hashlib.sha1(f"bench-document-{document_id}".encode()).hexdigest()  # noqa: S324 - a name, not security
    name = digest[:2] + "be" + digest[4:]
    return f"{name[:2]}/{name[2:4]}/{name}.pdf"


def document_rows(plans: list[Plan], small: tuple[int, str], scans: list[tuple[int, str]]) -> Iterator[dict]:
    """The uploaded documents ((size, sha256) of the small PDF, and of each scan) and received letters as PDFs."""
    doc_id = 0
    for plan in plans:
        if plan.submitted_at is None:
            continue
        kinds = [(kind, True, scans[n]) for n, kind in enumerate(SCAN_KINDS)] if plan.scans else []
        kinds += [(kind, False, small) for kind in SMALL_KINDS if not plan.scans]
        if plan.letters[0]:
            kinds.append(("referee_letter", False, small))
        for kind, scan, (size, sha256) in kinds:
            doc_id += 1
            key = storage_key(doc_id)
            plan.documents.append((doc_id, key, scan))
            if kind == "referee_letter":
                plan.letter_document = doc_id
            yield {
                "id": doc_id,
                "application_id": plan.id,
                "kind": kind,
                "original_filename": f"{kind}_{plan.who.family or 'draft'}.pdf",
                "storage_key": key,
                "size_bytes": size,
                "sha256": sha256,
                "page_count": 4 if scan else 1,
                "uploaded_at": plan.submitted_at - DAY,
            }


def referee_rows(plans: list[Plan]) -> Iterator[dict[str, Any]]:
    """Two referees per application past the draft stage; received letters as a PDF (first) or as text (second)."""
    row_id = 0
    for plan in plans:
        if plan.submitted_at is None:
            continue
        for position in (1, 2):
            row_id += 1
            received = plan.letters[position - 1]
            when = plan.submitted_at + DAY * (3 + position)
            chinese = plan.who.nationality == "CN" and position == 1
            yield {
                "id": row_id,
                "application_id": plan.id,
                "position": position,
                "name": "李建国" if chinese else f"Prof. Referee {row_id}",
                "email": f"referee{row_id}@university.example",
                "institution": "清华大学" if chinese else "Technical University",
                "relation": ("supervisor", "teacher")[position - 1],
                "language": "zh" if chinese else "en",
                "created_at": plan.created_at,
                "token_hash": None if received else hashlib.sha256(f"token-{row_id}".encode()).hexdigest(),
                "token_expires_at": None if received else plan.round.reviews_due,
                "invited_at": plan.submitted_at,
                "invitations_sent": 1,
                "letter_text": "I recommend the candidate without reservation." if received and position == 2 else None,
                "letter_document_id": plan.letter_document if received and position == 1 else None,
                "letter_received_at": when if received else None,
            }
