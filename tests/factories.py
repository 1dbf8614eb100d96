"""factory_boy factories for the models the tests build."""

from __future__ import annotations

import datetime as dt
import io

import factory
from pypdf import PdfWriter
from werkzeug.security import generate_password_hash

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.consent import PRIVACY_NOTICE_VERSION
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    DegreeLevel,
    Document,
    DocumentKind,
    Education,
    IntakeRound,
    LanguageLevel,
    RefereeInvitation,
)
from portal.core import storage
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import (
    CRITERIA,
    CommitteeMember,
    Conflict,
    ConflictReason,
    Recommendation,
    Review,
    ReviewAssignment,
    StatementAnswer,
    SupervisorStatement,
)
from portal.supervisors.models import ResearchField, SupervisorProfile, University

PASSWORD = "Correct-Horse-Battery-42"
# Hashed once: hashing is deliberately slow, and every factory user shares this password.
PASSWORD_HASH = generate_password_hash(PASSWORD)


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name")
    password_hash = PASSWORD_HASH
    language = "en"
    timezone = "Europe/Berlin"
    email_confirmed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs) -> None:
        for role in extracted or [Role.APPLICANT]:
            self.roles.append(UserRole(role=role))
        if create:
            db.session.flush()


def university(code: str) -> University:
    """One of the nine universities (loaded once per test session)."""
    from portal.supervisors.services import university_by_code

    found = university_by_code(code)
    assert found is not None, code
    return found


class SupervisorProfileFactory(BaseFactory):
    class Meta:
        model = SupervisorProfile

    user = factory.SubFactory(UserFactory, roles=[Role.SUPERVISOR])
    university = factory.LazyFunction(lambda: university("TUC"))
    title = "Prof. Dr."
    department = factory.Faker("bs")
    research_areas = factory.Faker("catch_phrase")
    languages = "de, en"
    capacity = 2


# --- Applications -------------------------------------------------------------------------------------------------


def make_pdf(pages: int = 1, text: str = "") -> bytes:
    """A small valid PDF made on the spot."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class IntakeRoundFactory(BaseFactory):
    """An open round: opened 10 days ago, closes in 30 days."""

    class Meta:
        model = IntakeRound

    name = factory.Sequence(lambda n: f"Intake {2027 + n}")
    opens_at = factory.LazyFunction(lambda: utcnow() - dt.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: utcnow() + dt.timedelta(days=30))
    reviews_due = factory.LazyAttribute(lambda o: o.closes_at + dt.timedelta(days=30))


class ApplicationFactory(BaseFactory):
    """A draft with nothing filled in."""

    class Meta:
        model = Application

    intake_round = factory.SubFactory(IntakeRoundFactory)
    applicant = factory.SubFactory(UserFactory, roles=[Role.APPLICANT])


class RefereeInvitationFactory(BaseFactory):
    """A referee named by the applicant (no link sent yet)."""

    class Meta:
        model = RefereeInvitation

    application = factory.SubFactory(ApplicationFactory)
    position = 1
    name = factory.Sequence(lambda n: f"Referee {n}")
    email = factory.Sequence(lambda n: f"referee{n}@example.org")
    institution = "Sichuan University"
    relation = "teacher"


class DecisionFactory(BaseFactory):
    """A recorded decision (admit unless told), not released unless told."""

    class Meta:
        model = Decision

    application = factory.SubFactory(ApplicationFactory)
    outcome = DecisionOutcome.ADMIT


class ReviewAssignmentFactory(BaseFactory):
    """A committee member assigned to review an application (written directly, conflicts not checked)."""

    class Meta:
        model = ReviewAssignment

    application = factory.SubFactory(ApplicationFactory)
    reviewer = factory.SubFactory(UserFactory, roles=[Role.COMMITTEE])


class ConflictFactory(BaseFactory):
    """A declared conflict of interest of a committee member with an application."""

    class Meta:
        model = Conflict

    reason = ConflictReason.DECLARED
    note = "Co-author of the applicant's thesis."


class ReviewFactory(BaseFactory):
    """A complete, submitted review with every score 4 and "admit" (pass submitted_at=None for a draft)."""

    class Meta:
        model = Review

    assignment = factory.SubFactory(ReviewAssignmentFactory)
    score_academic = score_proposal = score_fit = score_language = score_references = 4
    recommendation = Recommendation.ADMIT
    submitted_at = factory.LazyFunction(utcnow)


def supervisor(code: str, **kwargs) -> SupervisorProfile:
    """A supervisor at the university with this code."""
    return SupervisorProfileFactory(university=university(code), **kwargs)


def complete_application(application: Application | None = None, **kwargs) -> Application:
    """A draft with every step complete (documents stored as real files), ready to submit."""
    application = application or ApplicationFactory(**kwargs)
    now = utcnow()
    application.family_name, application.given_names, application.native_name = "Wang", "Xiaoming", "王小明"
    application.date_of_birth = dt.date(1998, 5, 17)
    application.nationality, application.address, application.phone = "CN", "No. 24 Yihuan Road, Chengdu", "+86 28 1234"
    application.privacy_consent_at = application.transfer_consent_at = now
    application.privacy_consent_version = application.transfer_consent_version = PRIVACY_NOTICE_VERSION
    application.english_level, application.german_level = LanguageLevel.C1, LanguageLevel.B1
    application.chinese_level, application.chinese_hsk = LanguageLevel.NATIVE, None
    application.proposal_title = "Hydrogen embrittlement of pipeline steels"
    application.research_field = ResearchField.ENERGY_HYDROGEN
    application.abstract, application.keywords = "A study of steels. " * 20, "hydrogen, steel"
    application.german_supervisor = application.german_supervisor or supervisor("TUC")
    application.chinese_supervisor = application.chinese_supervisor or supervisor("TONGJI")
    application.supervisor_motivation = "Both work on hydrogen."
    application.education.append(
        Education(
            level=DegreeLevel.MASTER,
            degree="Master of Engineering",
            subject="Materials",
            institution="Sichuan University",
            country="CN",
            year=2024,
            grade="88",
            grading_scale="100 best, 60 pass",
        )
    )
    for kind in (
        DocumentKind.CV,
        DocumentKind.DEGREE_CERTIFICATE,
        DocumentKind.TRANSCRIPT,
        DocumentKind.RESEARCH_PROPOSAL,
    ):
        add_document(application, kind)
    for position in (1, 2):
        RefereeInvitationFactory(
            application=application,
            position=position,
            name=f"Referee {position}",
            email=f"referee{position}.{application.applicant.id}@example.org",
        )
    db.session.flush()
    return application


def add_document(
    application: Application, kind: DocumentKind, content: bytes | None = None, filename: str | None = None
) -> Document:
    """Store a real PDF file and attach it to the application."""
    content = content or make_pdf()
    stored = storage.save_bytes(content)
    document = Document(
        kind=kind,
        original_filename=filename or f"{kind.value}.pdf",
        storage_key=stored.key,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        page_count=1,
    )
    application.documents.append(document)
    db.session.flush()
    return document


def committee_member(code: str = "LUH", **user_attributes):
    """A user with the committee role and a seat at the university with this code."""

    user = UserFactory(roles=[Role.COMMITTEE], **user_attributes)
    seat = CommitteeMember(user=user, university=university(code))
    db.session.add(seat)
    db.session.flush()
    return user


def submitted_application(**kwargs) -> Application:
    """A complete application in the submitted state, with a reference number."""

    application = complete_application(**kwargs)
    application.state = ApplicationState.SUBMITTED
    application.reference = f"IPK-2027-{application.id:04d}"
    application.submitted_at = utcnow()
    db.session.flush()
    return application


# --- The review domain: assignments, reviews, statements, decisions ------------------------------------------------


def judged(intake, *, state=None, family="Wang", field=None, german=None, chinese=None, applicant=None) -> Application:
    """A complete application of the round in the given state (submitted by default), with a reference number."""

    state = state or ApplicationState.SUBMITTED
    draft = ApplicationFactory(intake_round=intake, german_supervisor=german, chinese_supervisor=chinese)
    if applicant is not None:
        draft.applicant = applicant
    application = complete_application(draft)
    application.state = state
    application.family_name = family
    if state != ApplicationState.DRAFT:
        application.reference = f"IPK-2027-{application.id:04d}"
        application.submitted_at = utcnow()
    if field is not None:
        application.research_field = field
    db.session.flush()
    return application


def add_review(application, scores=None, *, submitted=True, reviewer=None):
    """Assign a committee member (written directly); with scores (one int for all five, or five ints) also a review."""
    assignment = ReviewAssignmentFactory(application=application, **({"reviewer": reviewer} if reviewer else {}))
    if scores is not None:
        values = [scores] * len(CRITERIA) if isinstance(scores, int) else list(scores)
        ReviewFactory(
            assignment=assignment,
            **dict(zip(CRITERIA, values, strict=True)),
            submitted_at=utcnow() if submitted else None,
        )
    db.session.flush()
    return assignment


def add_statement(application, profile, answer, conditions=None, comment=""):
    """A supervisor's statement written directly (conditions filled in for a conditional answer unless given)."""

    if conditions is None:
        conditions = "Only with a scholarship." if answer == StatementAnswer.CONDITIONAL else ""
    statement = SupervisorStatement(
        application_id=application.id, profile_id=profile.id, answer=answer, conditions=conditions, comment=comment
    )
    db.session.add(statement)
    db.session.flush()
    return statement


def add_decision(application, outcome=None, **attributes):
    """A decision on the application written directly (admit unless told), not released unless told."""
    return DecisionFactory(application=application, outcome=outcome or DecisionOutcome.ADMIT, **attributes)


def assigned(member, application):
    """Assign the committee member to review the application, through the service (conflicts refused)."""
    from portal.review.assignments import assign

    return assign(application, member, by=None, now=utcnow())


def full_scores(value=4, recommendation=None, comment=""):
    """A complete review as a form sends it: every score, a recommendation (admit unless told), the comment."""

    recommendation = recommendation or Recommendation.ADMIT
    return {**{name: value for name in CRITERIA}, "recommendation": recommendation.value, "comment": comment}


# --- The coordinators' lists (tests/test_listing.py, tests/test_exports_csv_xlsx.py) --------------------------------


def light_application(
    intake,
    *,
    state: ApplicationState = ApplicationState.SUBMITTED,
    family: str = "Wang",
    given: str = "Xiaoming",
    native: str = "",
    email: str | None = None,
    nationality: str = "CN",
    field: ResearchField | None = ResearchField.ENERGY_HYDROGEN,
    german=None,
    chinese=None,
    decision: DecisionOutcome | None = None,
    released: bool = False,
    letters: int = 0,
    submitted_at: dt.datetime | None = None,
    date_of_birth: dt.date | None = dt.date(1998, 5, 17),
    title: str = "Hydrogen embrittlement of pipeline steels",
) -> Application:
    """A light application (no documents) of the round in the given state, with a reference once submitted."""
    # The account's name is searched too: a fixed one, so that no random name matches a search by chance.
    account = {"name": f"{given} {family}", **({"email": email} if email else {})}
    applicant = UserFactory(roles=[Role.APPLICANT], **account)
    application = ApplicationFactory(
        intake_round=intake,
        applicant=applicant,
        family_name=family,
        given_names=given,
        native_name=native,
        nationality=nationality,
        research_field=field,
        date_of_birth=date_of_birth,
        proposal_title=title,
        german_supervisor=german,
        chinese_supervisor=chinese,
    )
    application.state = state
    if state != ApplicationState.DRAFT:
        application.reference = f"IPK-2027-{application.id:04d}"
        application.submitted_at = submitted_at or utcnow()
    for position in (1, 2):
        application.referees.append(
            RefereeInvitation(
                position=position,
                name=f"Referee {position}",
                email=f"referee{position}.{application.id}@example.org",
                institution="Sichuan University",
                relation="teacher",
                letter_received_at=utcnow() if position <= letters else None,
            )
        )
    if decision is not None:
        application.decision = Decision(outcome=decision, released_at=utcnow() if released else None)
    db.session.flush()
    return application
