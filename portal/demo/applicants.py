"""One demo application, step by step through the applicant's services: the account, the steps' data (made up
from the plan with the seeded random generator), the supervisors, the documents and the referees."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from typing import Any

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.applications import services as applications
from portal.applications.documents import upload_document
from portal.applications.invitations import save_referees
from portal.applications.models import (
    Application,
    DecisionOutcome,
    DegreeLevel,
    DocumentKind,
    IntakeRound,
    LanguageLevel,
)
from portal.core.roles import Role
from portal.demo.accounts import DEMO_COMMITTEE
from portal.demo.content import CN_UNIVERSITIES, HOME_CITY, HOME_EDUCATION, PROPOSALS, REFEREE_NAMES, SUBJECTS
from portal.demo.context import DAY, Context, ascii_only, make_pdf
from portal.demo.plans import BECKER, PERSONS, REFEREE_ON_COMMITTEE, REVIEWERS, ZHANG, Person, Plan
from portal.supervisors.models import Country, SupervisorProfile
from portal.supervisors.models import ResearchField as F


def applicant_account(ctx: Context, person: Person) -> User:
    user = ctx.users.get(person.email) or accounts.find_user_by_email(person.email)
    if user is None:
        user = accounts.create_user(
            email=person.email,
            name=person.account_name,
            password=None,
            roles=[Role.APPLICANT],
            language=person.language,
            timezone=person.timezone,
            confirmed=True,
        )
        user.password_hash = ctx.password_hash
    # An account is as old as its owner's first simulated step.
    user.email_confirmed_at = min(user.email_confirmed_at or ctx.clock.now, ctx.clock.now)
    user.created_at = min(user.created_at or ctx.clock.now, ctx.clock.now)
    ctx.users[person.email] = user
    return user


def personal(ctx: Context, person: Person) -> dict[str, Any]:
    rng = ctx.rng
    streets = ("Renmin Road", "Jiefang Avenue", "Zhongshan Road", "Kehua Street", "Wenhua Road")
    cities = ("Chengdu 610041", "Shanghai 200092", "Zhengzhou 450001", "Beijing 100191", "Wuhan 430072")
    if person.nationality == "CN":
        address = f"No. {rng.randint(3, 180)} {rng.choice(streets)}, {rng.choice(cities)}, China"
        phone = f"+86 1{rng.randint(30, 89)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    else:
        address = (
            f"{rng.randint(1, 90)} {rng.choice(('Park', 'Station', 'Garden'))} Street, {HOME_CITY[person.nationality]}"
        )
        phone = f"+{rng.randint(30, 99)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}"
    return {
        "family_name": person.family,
        "given_names": person.given,
        "native_name": person.native,
        "date_of_birth": dt.date(rng.randint(1994, 2000), rng.randint(1, 12), rng.randint(1, 28)),
        "nationality": person.nationality,
        "address": address,
        "phone": phone,
        "privacy_consent": True,
        "transfer_consent": True,
    }


def grade(rng: random.Random, nationality: str) -> str:
    low, best, decimals = HOME_EDUCATION[nationality][3:]
    value = low + (best - low) * rng.random()
    return f"{value:.{decimals}f}" if decimals else str(round(value))


def degrees(ctx: Context, person: Person, field: F, year: int, master: bool) -> list[dict[str, Any]]:
    rng = ctx.rng
    home, suffix, scale = HOME_EDUCATION[person.nationality][:3]
    institutions = [rng.choice(CN_UNIVERSITIES), rng.choice(CN_UNIVERSITIES)] if not home else [home, home]
    country = person.nationality
    degrees = [
        {"level": DegreeLevel.BACHELOR.value, "degree": f"B.{suffix}", "year": year - 3, "institution": institutions[0]}
    ]
    if master:
        degrees.append(
            {"level": DegreeLevel.MASTER.value, "degree": f"M.{suffix}", "year": year, "institution": institutions[1]}
        )
    for degree in degrees:
        degree.update(
            subject=SUBJECTS[field], country=country, grade=grade(rng, person.nationality), grading_scale=scale
        )
    return degrees


def languages(ctx: Context, person: Person) -> dict[str, Any]:
    rng, L = ctx.rng, LanguageLevel
    english = rng.choice((L.B2, L.C1, L.C1, L.C2))
    certificates = ["IELTS Academic 7.0", "TOEFL iBT 102", "IELTS Academic 6.5"]
    certificate = rng.choice([*certificates, "CET-6 (580)"] if person.nationality == "CN" else certificates)
    data: dict[str, Any] = {"english_level": english.value, "english_certificate": certificate}
    if person.nationality == "CN":
        german = rng.choice((L.NONE, L.A1, L.A2, L.B1))
        data.update(german_level=german.value, chinese_level=L.NATIVE.value, chinese_hsk=None)
        data["german_certificate"] = "Goethe-Zertifikat A2" if german == L.A2 else ""
    elif person.nationality == "DE":
        data.update(german_level=L.NATIVE.value, chinese_level=L.A2.value, chinese_hsk=2)
        data["chinese_certificate"] = "HSK 2"
    else:
        data.update(german_level=rng.choice((L.NONE, L.A1, L.A2)).value, chinese_level=rng.choice((L.NONE, L.A1)).value)
    return data


def proposal(ctx: Context, field: F) -> dict[str, Any]:
    title, keywords, aim = ctx.rng.choice(PROPOSALS[field])
    abstract = (
        f"The project {aim}. It builds on the German group's experimental facilities and on the Chinese partner's "
        "industrial contacts, with one research stay at each university. The first year is devoted to the state of "
        "the art and to the methods, the second to experiments and data collection, the third to validation and "
        "the thesis. Expected results are three journal papers and an open data set."
    )
    return {"proposal_title": title, "research_field": field.value, "abstract": abstract, "keywords": keywords}


def reviewers_universities(plan: Plan) -> set[str]:
    """The universities of the committee members the plan has review the application: a supervisor picked for it
    does not work at one of them (the rounds count that as a conflict of interest)."""
    seats = {email: code for email, _name, code in DEMO_COMMITTEE}
    return {seats[REVIEWERS[code[0]]] for code in plan[6].split()}


def pick_supervisor(
    ctx: Context, country: Country, field: F, round_id: int, admit: bool, avoid: set[str]
) -> SupervisorProfile:
    """A supervisor of the field (the two demo supervisors only where a plan names them, so their lists stay as
    planned) at none of the universities to avoid; for an admission, one whose capacity in the round is not used up
    yet."""
    named = {BECKER, ZHANG}
    profiles = [p for p in ctx.profiles[country] if p.user.email not in named and p.university.code not in avoid]
    fitting = [p for p in profiles if field in p.research_fields] or profiles
    if admit:
        fitting = [p for p in fitting if ctx.admitted[(round_id, p.id)] < p.capacity] or fitting
    return ctx.rng.choice(fitting)


def profile_by_email(ctx: Context, email: str) -> SupervisorProfile:
    return next(p for profiles in ctx.profiles.values() for p in profiles if p.user.email == email)


def _supervisor(
    ctx: Context, email: str | None, country: Country, field: F, round_id: int, admit: bool, avoid: set[str]
) -> SupervisorProfile:
    """The supervisor the plan names, else one picked by the field."""
    return profile_by_email(ctx, email) if email else pick_supervisor(ctx, country, field, round_id, admit, avoid)


def referee_entries(ctx: Context, person: Person, institution: str) -> dict[int, dict[str, str]]:
    pool = REFEREE_NAMES["CN" if person.nationality == "CN" else "other"]
    names = ctx.rng.sample(pool, 2)
    domain = "".join(word[0] for word in ascii_only(institution).split() if word[0].isalpha()).lower()
    entries = {
        position: {
            "name": f"Prof. {name}",
            "email": f"{ascii_only(name).lower().replace(' ', '.')}@{domain}.example.org",
            "institution": institution,
            "relation": "supervisor" if position == 1 else ctx.rng.choice(("teacher", "colleague", "employer")),
        }
        for position, name in enumerate(names, start=1)
    }
    if person.email == REFEREE_ON_COMMITTEE[0]:
        _email, name, referee_email, referee_institution = REFEREE_ON_COMMITTEE
        entries[2] = {
            "name": f"Prof. {name}",
            "email": referee_email,
            "institution": referee_institution,
            "relation": "colleague",
        }
    return entries


# --- One application, step by step -----------------------------------------------------------------------------------


@dataclass
class Built:
    plan: Plan
    application: Application
    person: Person
    start: dt.datetime
    submit_at: dt.datetime | None = None


def draft(ctx: Context, intake: IntakeRound, plan: Plan, start: dt.datetime) -> Built:
    """Start the application and fill in as much as its planned state needs (everything if it is to be submitted)."""
    email, state, field, *_rest = plan
    person, clock, rng = PERSONS[email], ctx.clock, ctx.rng
    level = int(state[-1]) if state.startswith("draft") else 2 if state == "withdrawn-draft" else 5
    clock.at(start - DAY * rng.randint(1, 20))
    user = applicant_account(ctx, person)
    step = dt.timedelta(hours=rng.randint(2, 20))
    application = applications.start_application(user, intake, clock.at(start, user))
    applications.save_step(
        application, "personal", personal(ctx, person), expected_version=application.version, now=clock.now
    )
    year = min(intake.closes_at.year, clock.now.year) - (0 if rng.random() < 0.6 else 1)
    built = Built(plan, application, person, start)
    if level >= 2:
        for degree in degrees(ctx, person, field, year, master=level >= 3):
            applications.add_education(
                application, degree, expected_version=application.version, now=clock.at(clock.now + step, user)
            )
    if level >= 3:
        _proposal_and_supervisors(ctx, built, clock.at(clock.now + step, user))
    if level >= 4:
        upload_documents(ctx, application, person, clock.at(clock.now + step, user))
        entries = referee_entries(ctx, person, application.education[-1].institution)
        if level == 4:
            entries = {1: entries[1]}
        save_referees(application, entries, expected_version=application.version, now=clock.at(clock.now + step, user))
    return built


def _proposal_and_supervisors(ctx: Context, built: Built, now: dt.datetime) -> None:
    """Languages, the proposal, and the two supervisors: the plan's, or ones of the field (with room for an
    admission when the plan admits)."""
    _email, state, field, german_email, chinese_email, *_rest = built.plan
    application, intake_id = built.application, built.application.round_id
    applications.save_step(
        application, "languages", languages(ctx, built.person), expected_version=application.version, now=now
    )
    applications.save_step(application, "proposal", proposal(ctx, field), expected_version=application.version, now=now)
    admit = state.partition(":")[2] == DecisionOutcome.ADMIT
    avoid = reviewers_universities(built.plan)
    german = _supervisor(ctx, german_email, Country.DE, field, intake_id, admit, avoid)
    chinese = _supervisor(ctx, chinese_email, Country.CN, field, intake_id, admit, avoid)
    if admit:
        ctx.admitted.update([(intake_id, german.id), (intake_id, chinese.id)])
    applications.choose_supervisors(
        application,
        german_id=german.id,
        chinese_id=chinese.id,
        motivation=(
            f"{german.display_name} leads the experimental side of my topic; {chinese.display_name}'s group "
            "brings the application partners in China. Both have supervised joint doctorates before."
        ),
        expected_version=application.version,
        now=now,
    )


def upload_documents(ctx: Context, application: Application, person: Person, now: dt.datetime) -> None:
    name = f"{ascii_only(person.given)} {ascii_only(person.family)}".replace(" ", "_")
    proposal = application.proposal_title
    files = [
        (
            DocumentKind.CV,
            f"CV_{name}.pdf",
            "Curriculum vitae",
            [f"{person.given} {person.family}", "Education, research experience, publications, skills."],
        ),
        (
            DocumentKind.RESEARCH_PROPOSAL,
            "Research_proposal.pdf",
            "Research proposal",
            [proposal, application.abstract],
        ),
    ]
    for degree in application.education:
        files.append(
            (
                DocumentKind.DEGREE_CERTIFICATE,
                f"{degree.degree}_certificate.pdf",
                f"{degree.degree} certificate",
                [degree.institution, f"{degree.subject}, {degree.year}"],
            )
        )
        files.append(
            (
                DocumentKind.TRANSCRIPT,
                f"{degree.degree}_transcript.pdf",
                "Transcript of records",
                [degree.institution, f"Overall grade: {degree.grade} ({degree.grading_scale})"],
            )
        )
    if application.english_certificate and ctx.rng.random() < 0.7:
        files.append(
            (
                DocumentKind.LANGUAGE_CERTIFICATE,
                "English_certificate.pdf",
                application.english_certificate,
                [f"{person.given} {person.family}"],
            )
        )
    for kind, filename, title, lines in files:
        content = io.BytesIO(make_pdf(title, lines))
        upload_document(application, kind, filename, content, expected_version=application.version, now=now)
