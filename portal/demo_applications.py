"""Demo applications for `seed-demo`: about forty applicants in every state, in two rounds, written by the services.

The open round holds drafts (some incomplete), submitted applications, applications under review, a few early
decisions not released yet, and withdrawals; last year's round is closed, reviewed, decided and released (admit,
waiting list, reject). Every change goes through the service that makes it in real use (start, steps, documents,
referees, submit, letters, statements, assignments, reviews, decisions, release, withdraw), so states, reference
numbers, audit events and emails are consistent. The services are given simulated times; a short-lived session hook
dates the rows and audit events they write without a time of their own, names the acting user in audit events, and
marks the emails as sent at that time (the development mail worker would otherwise print hundreds of them).

Deterministic: a seeded random generator picks the details. Idempotent: nothing happens once a demo applicant has an
application.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.applications import services as applications
from portal.applications import workflow
from portal.applications.documents import upload_document
from portal.applications.invitations import save_referees
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    DegreeLevel,
    DocumentKind,
    IntakeRound,
    LanguageLevel,
)
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.roles import Role
from portal.core.timeutil import BERLIN, utcnow
from portal.core.tokens import new_token
from portal.core.versions import version_of
from portal.referees.services import receive_letter
from portal.review import decisions
from portal.review.assignments import assign, declare_conflict
from portal.review.models import CRITERIA, StatementAnswer
from portal.review.services import save_review
from portal.review.statements import record_statement
from portal.supervisors.models import Country, SupervisorProfile
from portal.supervisors.models import ResearchField as F

SEED = 2026
BECKER, ZHANG = "supervisor.de@example.org", "supervisor.cn@example.org"
COORDINATOR = "coordinator@example.org"
# The committee members by letter, as the plans below name them.
REVIEWERS = {
    "K": "committee@example.org",
    "L": "k.lehmann@example.org",
    "M": "ma.jun@example.org",
    "N": "li.na@example.org",
}

# (email, family name, given names, name in the native script, nationality, language, time zone)
PEOPLE: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("applicant@example.org", "Li", "Wei", "李伟", "CN", "zh", "Asia/Shanghai"),
    ("wang.haoran@example.com", "Wang", "Haoran", "王浩然", "CN", "zh", "Asia/Shanghai"),
    ("chen.yuxin@example.com", "Chen", "Yuxin", "陈雨欣", "CN", "zh", "Asia/Shanghai"),
    ("lena.schmidt@example.com", "Schmidt", "Lena", "", "DE", "de", "Europe/Berlin"),
    ("liu.zihan@example.com", "Liu", "Zihan", "刘子涵", "CN", "zh", "Asia/Shanghai"),
    ("priya.sharma@example.net", "Sharma", "Priya", "प्रिया शर्मा", "IN", "en", "Asia/Kolkata"),
    ("zhao.mingyu@example.com", "Zhao", "Mingyu", "赵明宇", "CN", "zh", "Asia/Shanghai"),
    ("huang.siyu@example.com", "Huang", "Siyu", "黄思雨", "CN", "zh", "Asia/Shanghai"),
    ("nguyen.thilan@example.net", "Nguyen", "Thi Lan", "Nguyễn Thị Lan", "VN", "en", "Asia/Ho_Chi_Minh"),
    ("zhou.jiahao@example.com", "Zhou", "Jiahao", "周家豪", "CN", "zh", "Asia/Shanghai"),
    ("wu.xinyi@example.com", "Wu", "Xinyi", "吴欣怡", "CN", "zh", "Asia/Shanghai"),
    ("elif.yilmaz@example.net", "Yılmaz", "Elif", "", "TR", "en", "Europe/Istanbul"),
    ("xu.tianyi@example.com", "Xu", "Tianyi", "徐天翼", "CN", "zh", "Asia/Shanghai"),
    ("sun.yiming@example.com", "Sun", "Yiming", "孙一鸣", "CN", "zh", "Asia/Shanghai"),
    ("ma.ruoxi@example.com", "Ma", "Ruoxi", "马若曦", "CN", "zh", "Asia/Shanghai"),
    ("jonas.hoffmann@example.com", "Hoffmann", "Jonas", "", "DE", "de", "Europe/Berlin"),
    ("kim.minji@example.net", "Kim", "Minji", "김민지", "KR", "en", "Asia/Seoul"),
    ("zhu.haoyu@example.com", "Zhu", "Haoyu", "朱浩宇", "CN", "zh", "Asia/Shanghai"),
    ("hu.jingwen@example.com", "Hu", "Jingwen", "胡静雯", "CN", "zh", "Asia/Shanghai"),
    ("guo.zhiqiang@example.com", "Guo", "Zhiqiang", "郭志强", "CN", "zh", "Asia/Shanghai"),
    ("giulia.rossi@example.net", "Rossi", "Giulia", "", "IT", "en", "Europe/Rome"),
    ("he.lina@example.com", "He", "Lina", "何丽娜", "CN", "zh", "Asia/Shanghai"),
    ("marek.kowalski@example.net", "Kowalski", "Marek", "", "PL", "en", "Europe/Warsaw"),
    ("lin.shuyao@example.com", "Lin", "Shuyao", "林书瑶", "CN", "zh", "Asia/Shanghai"),
    ("chinedu.okafor@example.net", "Okafor", "Chinedu", "", "NG", "en", "Africa/Lagos"),
    ("gao.yue@example.com", "Gao", "Yue", "高悦", "CN", "zh", "Asia/Shanghai"),
    ("zheng.wenbo@example.com", "Zheng", "Wenbo", "郑文博", "CN", "zh", "Asia/Shanghai"),
    ("liang.xiaoqing@example.com", "Liang", "Xiaoqing", "梁晓晴", "CN", "zh", "Asia/Shanghai"),
    ("song.zhiyuan@example.com", "Song", "Zhiyuan", "宋志远", "CN", "zh", "Asia/Shanghai"),
    ("paul.mueller@example.com", "Müller", "Paul", "", "DE", "de", "Europe/Berlin"),
    ("tang.meiling@example.com", "Tang", "Meiling", "唐美玲", "CN", "zh", "Asia/Shanghai"),
    ("han.bowen@example.com", "Han", "Bowen", "韩博文", "CN", "zh", "Asia/Shanghai"),
    ("daria.ivanova@example.net", "Ivanova", "Daria", "Дарья Иванова", "RU", "en", "Europe/Moscow"),
    ("feng.yutong@example.com", "Feng", "Yutong", "冯雨桐", "CN", "zh", "Asia/Shanghai"),
    ("deng.hao@example.com", "Deng", "Hao", "邓昊", "CN", "zh", "Asia/Shanghai"),
    ("ana.silva@example.net", "Silva", "Ana", "", "BR", "en", "America/Sao_Paulo"),
    ("cao.xinran@example.com", "Cao", "Xinran", "曹欣然", "CN", "zh", "Asia/Shanghai"),
    ("omar.haddad@example.net", "Haddad", "Omar", "عمر حداد", "JO", "en", "Asia/Amman"),
    ("peng.zekai@example.com", "Peng", "Zekai", "彭泽楷", "CN", "zh", "Asia/Shanghai"),
    ("xie.wanting@example.com", "Xie", "Wanting", "谢婉婷", "CN", "zh", "Asia/Shanghai"),
    ("yu.chenxi@example.com", "Yu", "Chenxi", "余晨曦", "CN", "zh", "Asia/Shanghai"),
    ("yuki.tanaka@example.net", "Tanaka", "Yuki", "田中由紀", "JP", "en", "Asia/Tokyo"),
)

# Per application: (applicant, state, field, German supervisor, Chinese supervisor, statements, reviews, letters).
# state: draft1 (personal data only) … draft4 (all but one referee), draft5 (complete, not submitted), withdrawn-draft,
#   submitted, withdrawn (after submission), review, decided:<outcome> (not released), released:<outcome>.
# Supervisors: an email, or None for one picked by the research field. Statements: German then Chinese side,
#   w willing, c under conditions, u not willing, - none yet. Reviews: committee member letter (REVIEWERS) with
#   n not started, d draft, s submitted, r submitted and revised; x: declared a conflict. Letters: how many arrived.
Plan = tuple[str, str, F, str | None, str | None, str, str, int]
OPEN_ROUND: tuple[Plan, ...] = (
    ("applicant@example.org", "review", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "w-", "Kn Ms", 1),
    ("wang.haoran@example.com", "review", F.INTELLIGENT_MANUFACTURING, BECKER, None, "u-", "Kd Ns", 2),
    ("chen.yuxin@example.com", "review", F.ENERGY_HYDROGEN, None, ZHANG, "-w", "Ks Ls", 2),
    ("lena.schmidt@example.com", "review", F.BIG_DATA, None, None, "ww", "Ks Md", 2),  # Li Na is her referee
    ("liu.zihan@example.com", "review", F.MATERIALS, BECKER, None, "--", "Kn Ln", 1),
    ("priya.sharma@example.net", "review", F.DIGITAL_HEALTH, None, None, "w-", "Ms Ns", 2),
    ("zhao.mingyu@example.com", "review", F.ECONOMICS_SOCIETY, None, None, "wc", "Lx Kd Ns", 2),
    ("huang.siyu@example.com", "review", F.INTELLIGENT_MANUFACTURING, None, ZHANG, "-u", "Ks Ms", 2),
    ("nguyen.thilan@example.net", "review", F.BIG_DATA, None, None, "--", "Ln Mn", 0),
    ("zhou.jiahao@example.com", "review", F.ENERGY_HYDROGEN, None, ZHANG, "w-", "Kn Ln", 1),
    ("gao.yue@example.com", "review", F.DIGITAL_HEALTH, None, None, "ww", "Ms Nd", 2),
    ("wu.xinyi@example.com", "decided:admit", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "ww", "Ks Ms", 2),
    ("elif.yilmaz@example.net", "decided:waiting_list", F.MATERIALS, None, None, "wc", "Ls Ns", 2),
    ("xu.tianyi@example.com", "decided:reject", F.BIG_DATA, None, None, "uw", "Ks Ls", 2),
    ("sun.yiming@example.com", "submitted", F.INTELLIGENT_MANUFACTURING, BECKER, None, "--", "", 1),
    ("ma.ruoxi@example.com", "submitted", F.ENERGY_HYDROGEN, None, ZHANG, "--", "", 0),
    ("jonas.hoffmann@example.com", "submitted", F.ECONOMICS_SOCIETY, None, None, "--", "", 2),
    ("kim.minji@example.net", "submitted", F.DIGITAL_HEALTH, None, None, "w-", "", 1),
    ("zhu.haoyu@example.com", "submitted", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "--", "", 1),
    ("hu.jingwen@example.com", "draft5", F.DIGITAL_HEALTH, None, None, "--", "", 0),
    ("guo.zhiqiang@example.com", "draft4", F.INTELLIGENT_MANUFACTURING, BECKER, None, "--", "", 0),
    ("giulia.rossi@example.net", "draft3", F.MATERIALS, None, None, "--", "", 0),
    ("he.lina@example.com", "draft2", F.ECONOMICS_SOCIETY, None, None, "--", "", 0),
    ("marek.kowalski@example.net", "draft1", F.BIG_DATA, None, None, "--", "", 0),
    ("lin.shuyao@example.com", "withdrawn", F.ECONOMICS_SOCIETY, None, None, "--", "", 1),
    ("chinedu.okafor@example.net", "withdrawn-draft", F.ENERGY_HYDROGEN, None, None, "--", "", 0),
)
CLOSED_ROUND: tuple[Plan, ...] = (
    ("applicant@example.org", "released:waiting_list", F.INTELLIGENT_MANUFACTURING, None, None, "wc", "Kr Ms", 2),
    ("zheng.wenbo@example.com", "released:admit", F.INTELLIGENT_MANUFACTURING, BECKER, None, "ww", "Ks Ls", 2),
    ("liang.xiaoqing@example.com", "released:admit", F.ENERGY_HYDROGEN, None, ZHANG, "ww", "Ks Ms", 2),
    ("song.zhiyuan@example.com", "released:admit", F.BIG_DATA, None, None, "ww", "Ls Ns", 2),
    ("paul.mueller@example.com", "released:admit", F.MATERIALS, None, None, "wc", "Ks Ns", 2),
    ("tang.meiling@example.com", "released:admit", F.DIGITAL_HEALTH, None, None, "ww", "Ms Ls", 2),
    ("han.bowen@example.com", "released:waiting_list", F.ECONOMICS_SOCIETY, None, None, "cw", "Ks Ls", 2),
    ("daria.ivanova@example.net", "released:waiting_list", F.BIG_DATA, None, None, "ww", "Ms Ns", 2),
    ("feng.yutong@example.com", "released:reject", F.INTELLIGENT_MANUFACTURING, BECKER, None, "uw", "Ks Ms", 1),
    ("deng.hao@example.com", "released:reject", F.ENERGY_HYDROGEN, None, ZHANG, "-u", "Ls Ns", 2),
    ("ana.silva@example.net", "released:reject", F.DIGITAL_HEALTH, None, None, "--", "Ks Ls", 2),
    ("cao.xinran@example.com", "released:reject", F.MATERIALS, None, None, "wu", "Ms Ns", 1),
    ("omar.haddad@example.net", "released:reject", F.ECONOMICS_SOCIETY, None, None, "u-", "Ks Ns", 2),
    ("peng.zekai@example.com", "withdrawn", F.BIG_DATA, None, None, "--", "", 2),
    ("xie.wanting@example.com", "withdrawn-draft", F.MATERIALS, None, None, "--", "", 0),
    ("yu.chenxi@example.com", "draft2", F.DIGITAL_HEALTH, None, None, "--", "", 0),
    ("yuki.tanaka@example.net", "draft4", F.INTELLIGENT_MANUFACTURING, None, None, "--", "", 0),
)
# The plan whose second referee sits on the committee (a conflict the assignment page shows).
REFEREE_ON_COMMITTEE = ("lena.schmidt@example.com", "Li Na", REVIEWERS["N"], "Tongji University")

SUBJECTS = {
    F.INTELLIGENT_MANUFACTURING: "Mechanical Engineering",
    F.BIG_DATA: "Computer Science and Technology",
    F.ENERGY_HYDROGEN: "Energy and Power Engineering",
    F.MATERIALS: "Materials Science and Engineering",
    F.DIGITAL_HEALTH: "Biomedical Engineering",
    F.ECONOMICS_SOCIETY: "Economics",
}
# (title, keywords, what the project does) per field.
# fmt: off
PROPOSALS: dict[F, tuple[tuple[str, str, str], ...]] = {
    F.INTELLIGENT_MANUFACTURING: (
        ("Digital twins for adaptive process control in laser powder bed fusion",
         "additive manufacturing, digital twin, process control",
         "couples in-situ melt pool monitoring with a reduced-order simulation"),
        ("Human–robot collaboration in small-batch assembly", "robotics, assembly, human factors",
         "studies task allocation between workers and collaborative robots"),
    ),
    F.BIG_DATA: (
        ("Federated learning on industrial time series", "federated learning, time series, privacy",
         "trains anomaly detectors across factories without sharing raw data"),
        ("Scalable graph analytics for urban mobility data", "graph analytics, mobility, distributed systems",
         "builds a distributed pipeline for city-scale trip data"),
    ),
    F.ENERGY_HYDROGEN: (
        ("Degradation of PEM fuel cells under dynamic load profiles", "fuel cells, degradation, hydrogen vehicles",
         "measures and models ageing under realistic driving cycles"),
        ("Hydrogen storage in salt caverns: a techno-economic assessment", "hydrogen storage, energy systems",
         "compares storage options for the grids of Lower Saxony and Sichuan"),
    ),
    F.MATERIALS: (
        ("Hydrogen embrittlement of high-strength pipeline steels", "hydrogen embrittlement, steel, fracture",
         "combines slow strain rate tests with microstructural analysis"),
        ("Bio-based polymer composites for lightweight car bodies", "composites, polymers, lightweight design",
         "develops flax fibre composites and tests their crash behaviour"),
    ),
    F.DIGITAL_HEALTH: (
        ("Interoperable health records for cross-border telemedicine", "health records, interoperability, HL7 FHIR",
         "maps German and Chinese record standards onto a common model"),
        ("Deep learning for early detection of diabetic retinopathy", "medical imaging, deep learning",
         "validates screening models on clinical data from two countries"),
    ),
    F.ECONOMICS_SOCIETY: (
        ("Sino-German supply chains after the pandemic", "supply chains, resilience, trade",
         "analyses firm-level data on sourcing decisions since 2020"),
        ("Regional innovation policy in Henan and Lower Saxony", "innovation policy, regional economics",
         "compares the instruments and outcomes of two regional programmes"),
    ),
}
CN_UNIVERSITIES = (
    "Sichuan University", "Tongji University", "Zhengzhou University", "Beihang University", "Wuhan University",
    "Harbin Institute of Technology", "Xi'an Jiaotong University", "Chongqing University",
)
# fmt: on
# Nationality: (institution, degree suffix, grading scale, lowest and best grade as numbers, decimals).
HOME_EDUCATION: dict[str, tuple[str, str, str, float, float, int]] = {
    "DE": ("Technische Universität München", "Sc.", "1.0 (best) to 4.0 (pass)", 2.3, 1.1, 1),
    "IN": ("Indian Institute of Technology Bombay", "Tech.", "CGPA out of 10", 7.5, 9.6, 2),
    "VN": ("Hanoi University of Science and Technology", "Eng.", "out of 10, 5 to pass", 7.0, 9.2, 1),
    "KR": ("KAIST", "Sc.", "GPA out of 4.3", 3.3, 4.2, 2),
    "IT": ("Politecnico di Milano", "Sc.", "out of 110", 98, 110, 0),
    "TR": ("Middle East Technical University", "Sc.", "GPA out of 4.0", 3.0, 3.9, 2),
    "PL": ("Warsaw University of Technology", "Eng.", "2 (fail) to 5 (best)", 4.0, 5.0, 1),
    "NG": ("University of Lagos", "Sc.", "CGPA out of 5", 3.8, 4.8, 2),
    "RU": ("Lomonosov Moscow State University", "Sc.", "2 to 5 (best)", 4.2, 5.0, 1),
    "BR": ("Universidade de São Paulo", "Sc.", "0 to 10", 7.5, 9.5, 1),
    "JO": ("University of Jordan", "Sc.", "percent", 75, 92, 0),
    "JP": ("Osaka University", "Eng.", "GPA out of 4.0", 3.0, 3.9, 2),
    "CN": ("", "Eng.", "100-point scale, 60 to pass", 80, 93, 0),
}
HOME_CITY = {
    "DE": "80333 Munich, Germany",
    "IN": "Mumbai 400076, India",
    "VN": "Hanoi, Vietnam",
    "KR": "Daejeon 34141, Republic of Korea",
    "IT": "20133 Milan, Italy",
    "TR": "06800 Ankara, Türkiye",
    "PL": "00-661 Warsaw, Poland",
    "NG": "Lagos, Nigeria",
    "RU": "119991 Moscow, Russia",
    "BR": "São Paulo 05508, Brazil",
    "JO": "Amman 11942, Jordan",
    "JP": "Suita, Osaka 565-0871, Japan",
}
# fmt: off
REFEREE_NAMES = {
    "CN": ("Li Qiang", "Wang Jianguo", "Zhang Hua", "Liu Bo", "Chen Gang", "Yang Fan", "Zhao Hong", "Sun Lei"),
    "other": ("Maria Lange", "David Miller", "Sofia Bianchi", "Arjun Mehta", "Anna Kowalczyk", "Mehmet Demir",
              "Hiroshi Sato", "Olga Petrova"),
}
# fmt: on
REVIEW_COMMENTS = {
    "strongly_admit": "Excellent record and a convincing, well-scoped proposal; both supervisors are a very good fit.",
    "admit": "Solid candidate with a clear plan. The work programme for the first year could be more specific.",
    "borderline": "Good grades, but the proposal is still vague on methods. An interview would help.",
    "reject": "The proposal does not yet show a research question of doctoral scope; the fit with the programme "
    "is weak.",
}
STATEMENT_COMMENTS = {
    StatementAnswer.WILLING: "The topic fits my group's work well; I met the candidate in an online interview.",
    StatementAnswer.CONDITIONAL: "I would supervise the project if its scope is narrowed to one material system.",
    StatementAnswer.UNWILLING: "The project lies outside my group's current work; I cannot offer a workplace.",
}
DECISION_NOTES = {
    DecisionOutcome.ADMIT: "Ranked among the best applications; both supervisors agree.",
    DecisionOutcome.WAITING_LIST: "Good application; admitted if a place becomes free.",
    DecisionOutcome.REJECT: "",
}
DAY = dt.timedelta(days=1)


# --- The simulated clock ---------------------------------------------------------------------------------------------


class _Clock:
    """The simulated time and actor, applied to what the services write without a time (or actor) of their own."""

    def __init__(self) -> None:
        self.now = utcnow()
        self.actor_id: int | None = None

    def at(self, when: dt.datetime, actor: User | None = None) -> dt.datetime:
        self.now, self.actor_id = when, actor.id if actor is not None else None
        return when

    def before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, AuditEvent) and obj.actor_id is None:
                obj.actor_id = self.actor_id
            if isinstance(obj, OutboxEmail):
                obj.state, obj.attempts, obj.next_attempt_at, obj.sent_at = OutboxState.SENT, 1, self.now, self.now
            for name in ("created_at", "granted_at"):
                if hasattr(type(obj), name) and getattr(obj, name) is None:
                    setattr(obj, name, self.now)
        for obj in session.dirty:
            if isinstance(obj, Application) and session.is_modified(obj, include_collections=False):
                obj.updated_at = self.now


@contextmanager
def _simulated(clock: _Clock) -> Iterator[None]:
    hook = clock.before_flush
    event.listen(db.session, "before_flush", hook)
    try:
        yield
    finally:
        event.remove(db.session, "before_flush", hook)


# --- Building blocks -------------------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines (Latin script: the built-in font has no Chinese glyphs)."""
    pdf = FPDF(format="A4")
    pdf.set_creator("Promotionskolleg demo data")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, _ascii(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, _ascii(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


@dataclass
class _Context:
    rng: random.Random
    clock: _Clock
    password_hash: str
    users: dict[str, User]
    profiles: dict[Country, list[SupervisorProfile]]
    admitted: Counter  # (round id, profile id) -> planned admissions


@dataclass(frozen=True)
class _Person:
    email: str
    family: str
    given: str
    native: str
    nationality: str
    language: str
    timezone: str

    @property
    def account_name(self) -> str:
        eastern = self.nationality in {"CN", "JP", "KR", "VN"}
        return f"{self.family} {self.given}" if eastern else f"{self.given} {self.family}"


PERSONS = {row[0]: _Person(*row) for row in PEOPLE}


def _applicant(ctx: _Context, person: _Person) -> User:
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


def _personal(ctx: _Context, person: _Person) -> dict[str, Any]:
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


def _grade(rng: random.Random, nationality: str) -> str:
    low, best, decimals = HOME_EDUCATION[nationality][3:]
    value = low + (best - low) * rng.random()
    return f"{value:.{decimals}f}" if decimals else str(round(value))


def _degrees(ctx: _Context, person: _Person, field: F, year: int, master: bool) -> list[dict[str, Any]]:
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
            subject=SUBJECTS[field], country=country, grade=_grade(rng, person.nationality), grading_scale=scale
        )
    return degrees


def _languages(ctx: _Context, person: _Person) -> dict[str, Any]:
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


def _proposal(ctx: _Context, field: F) -> dict[str, Any]:
    title, keywords, aim = ctx.rng.choice(PROPOSALS[field])
    abstract = (
        f"The project {aim}. It builds on the German group's experimental facilities and on the Chinese partner's "
        "industrial contacts, with one research stay at each university. The first year is devoted to the state of "
        "the art and to the methods, the second to experiments and data collection, the third to validation and "
        "the thesis. Expected results are three journal papers and an open data set."
    )
    return {"proposal_title": title, "research_field": field.value, "abstract": abstract, "keywords": keywords}


def _pick(ctx: _Context, country: Country, field: F, round_id: int, admit: bool) -> SupervisorProfile:
    """A supervisor of the field (the two demo supervisors only where a plan names them, so their lists stay as
    planned); for an admission, one whose capacity in the round is not used up yet."""
    profiles = [p for p in ctx.profiles[country] if p.user.email not in {BECKER, ZHANG}]
    fitting = [p for p in profiles if field in p.research_fields] or profiles
    if admit:
        fitting = [p for p in fitting if ctx.admitted[(round_id, p.id)] < p.capacity] or fitting
    return ctx.rng.choice(fitting)


def _profile_of(ctx: _Context, email: str) -> SupervisorProfile:
    return next(p for profiles in ctx.profiles.values() for p in profiles if p.user.email == email)


def _referees(ctx: _Context, person: _Person, institution: str) -> dict[int, dict[str, str]]:
    pool = REFEREE_NAMES["CN" if person.nationality == "CN" else "other"]
    names = ctx.rng.sample(pool, 2)
    domain = "".join(word[0] for word in _ascii(institution).split() if word[0].isalpha()).lower()
    entries = {
        position: {
            "name": f"Prof. {name}",
            "email": f"{_ascii(name).lower().replace(' ', '.')}@{domain}.example.org",
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
class _Built:
    plan: Plan
    application: Application
    person: _Person
    start: dt.datetime
    submit_at: dt.datetime | None = None


def _draft(ctx: _Context, intake: IntakeRound, plan: Plan, start: dt.datetime) -> _Built:
    """Start the application and fill in as much as its planned state needs (everything if it is to be submitted)."""
    email, state, field, german_email, chinese_email, *_rest = plan
    person, clock, rng = PERSONS[email], ctx.clock, ctx.rng
    level = int(state[-1]) if state.startswith("draft") else 2 if state == "withdrawn-draft" else 5
    outcome = state.partition(":")[2]
    clock.at(start - DAY * rng.randint(1, 20))
    user = _applicant(ctx, person)
    step = dt.timedelta(hours=rng.randint(2, 20))
    application = applications.start_application(user, intake, clock.at(start, user))
    applications.save_step(
        application, "personal", _personal(ctx, person), expected_version=application.version, now=clock.now
    )
    year = min(intake.closes_at.year, clock.now.year) - (0 if rng.random() < 0.6 else 1)
    if level >= 2:
        for degree in _degrees(ctx, person, field, year, master=level >= 3):
            applications.add_education(
                application, degree, expected_version=application.version, now=clock.at(clock.now + step, user)
            )
    if level >= 3:
        now = clock.at(clock.now + step, user)
        applications.save_step(
            application, "languages", _languages(ctx, person), expected_version=application.version, now=now
        )
        applications.save_step(
            application, "proposal", _proposal(ctx, field), expected_version=application.version, now=now
        )
        admit = outcome == DecisionOutcome.ADMIT
        german = _profile_of(ctx, german_email) if german_email else _pick(ctx, Country.DE, field, intake.id, admit)
        chinese = _profile_of(ctx, chinese_email) if chinese_email else _pick(ctx, Country.CN, field, intake.id, admit)
        if admit:
            ctx.admitted.update([(intake.id, german.id), (intake.id, chinese.id)])
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
    if level >= 4:
        _upload_documents(ctx, application, person, clock.at(clock.now + step, user))
        entries = _referees(ctx, person, application.education[-1].institution)
        if level == 4:
            entries = {1: entries[1]}
        save_referees(application, entries, expected_version=application.version, now=clock.at(clock.now + step, user))
    return _Built(plan, application, person, start)


def _upload_documents(ctx: _Context, application: Application, person: _Person, now: dt.datetime) -> None:
    name = f"{_ascii(person.given)} {_ascii(person.family)}".replace(" ", "_")
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


def _letters(ctx: _Context, built: _Built, letter_at: dt.datetime) -> None:
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


def _statements(ctx: _Context, built: _Built, window: tuple[dt.datetime, dt.datetime]) -> None:
    application = built.application
    codes = {"w": StatementAnswer.WILLING, "c": StatementAnswer.CONDITIONAL, "u": StatementAnswer.UNWILLING}
    for profile, code in zip(
        (application.german_supervisor, application.chinese_supervisor), built.plan[5], strict=True
    ):
        if profile is None or code not in codes:
            continue
        answer = codes[code]
        record_statement(
            profile.user,
            application,
            answer=answer,
            conditions=STATEMENT_COMMENTS[answer] if answer == StatementAnswer.CONDITIONAL else "",
            comment=STATEMENT_COMMENTS[answer] if answer != StatementAnswer.CONDITIONAL else "",
            now=ctx.clock.at(_within(ctx.rng, window), profile.user),
        )


def _review_values(ctx: _Context, quality: float, complete: bool) -> dict[str, Any]:
    scores = {name: max(1, min(5, round(quality + ctx.rng.uniform(-1.1, 1.1)))) for name in CRITERIA}
    mean = sum(scores.values()) / len(scores)
    recommendation = (
        "strongly_admit" if mean >= 4.4 else "admit" if mean >= 3.6 else "borderline" if mean >= 2.8 else "reject"
    )
    if not complete:  # a draft: a few scores so far, no recommendation yet
        return {name: value for name, value in list(scores.items())[:3]} | {"comment": "First reading done."}
    return {**scores, "recommendation": recommendation, "comment": REVIEW_COMMENTS[recommendation]}


def _reviews(ctx: _Context, built: _Built, assign_at: dt.datetime, window: tuple[dt.datetime, dt.datetime]) -> None:
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
        now = ctx.clock.at(_within(ctx.rng, window), reviewer)
        values = _review_values(ctx, quality, complete=status != "d")
        save_review(assignment, values, submit=status != "d", expected_version=version_of(assignment.review), now=now)
        if status == "r":
            values["score_references"] = min(5, values["score_references"] + 1)
            values["note"] = "Raised the references score after the second letter arrived."
            version = version_of(assignment.review)
            later = ctx.clock.at(now + (window[1] - now) / 2, reviewer)
            save_review(assignment, values, submit=True, expected_version=version, now=later)


# --- The two rounds --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    """When things happen in a round: windows for starting and submitting, then the judging."""

    start: tuple[dt.datetime, dt.datetime]
    submit: tuple[dt.datetime, dt.datetime]
    letters_within: dt.timedelta
    assign: dt.datetime
    judge: tuple[dt.datetime, dt.datetime]  # statements and reviews
    decide: dt.datetime
    release: dt.datetime | None
    withdraw: dt.datetime  # withdrawals after submission


def _within(rng: random.Random, window: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
    first, last = window
    return first + (last - first) * rng.random()


def _open_timeline(intake: IntakeRound, now: dt.datetime) -> _Timeline:
    start, span = intake.opens_at, now - intake.opens_at
    return _Timeline(
        start=(start + span * 0.02, start + span * 0.3),
        submit=(start + span * 0.45, start + span * 0.65),
        letters_within=span * 0.08,
        assign=start + span * 0.75,
        judge=(start + span * 0.78, start + span * 0.94),
        decide=start + span * 0.97,
        release=None,
        withdraw=start + span * 0.9,
    )


def _closed_timeline(intake: IntakeRound) -> _Timeline:
    opens, closes = intake.opens_at, intake.closes_at
    span = closes - opens
    reviews_due = intake.reviews_due or closes + 30 * DAY
    decisions_on = intake.decisions_on or reviews_due + 30 * DAY
    return _Timeline(
        start=(opens + span * 0.05, opens + span * 0.4),
        submit=(opens + span * 0.5, opens + span * 0.9),
        letters_within=10 * DAY,
        assign=closes + DAY,
        judge=(closes + 2 * DAY, reviews_due - 2 * DAY),
        decide=decisions_on - 3 * DAY,
        release=decisions_on,
        withdraw=closes + 6 * DAY,
    )


def _build_round(ctx: _Context, intake: IntakeRound, plans: tuple[Plan, ...], timeline: _Timeline) -> list[_Built]:
    rng, clock = ctx.rng, ctx.clock
    built = [_draft(ctx, intake, plan, _within(rng, timeline.start)) for plan in plans]
    submitted = [b for b in built if not b.plan[1].startswith(("draft", "withdrawn-draft"))]
    for b in submitted:
        b.submit_at = _within(rng, timeline.submit)
    for b in sorted(submitted, key=lambda b: b.submit_at):  # reference numbers in the order of submission
        user = b.application.applicant
        workflow.submit(
            b.application, declaration=True, expected_version=b.application.version, now=clock.at(b.submit_at, user)
        )
        _letters(ctx, b, b.submit_at + timeline.letters_within * rng.random())
    judged = [b for b in submitted if b.plan[1] != "withdrawn"]
    for b in judged:
        _statements(ctx, b, timeline.judge)
        _reviews(ctx, b, timeline.assign, timeline.judge)
    coordinator = ctx.users[COORDINATOR]
    decided = [b for b in judged if ":" in b.plan[1]]
    for b in decided:
        outcome = DecisionOutcome(b.plan[1].partition(":")[2])
        now = clock.at(timeline.decide + dt.timedelta(minutes=rng.randint(0, 240)), coordinator)
        decisions.record_decision(b.application, outcome=outcome, note=DECISION_NOTES[outcome], by=coordinator, now=now)
    to_release = [b.application.id for b in decided if b.plan[1].startswith("released")]
    if to_release and timeline.release is not None:
        decisions.release(intake, to_release, by=coordinator, now=clock.at(timeline.release, coordinator))
    for b in built:
        if b.plan[1].startswith("withdrawn"):
            user = b.application.applicant
            when = timeline.withdraw if b.submit_at else b.start + DAY * rng.randint(4, 9)
            workflow.withdraw(b.application, expected_version=b.application.version, now=clock.at(when, user))
    return built


def _ensure_closed_round(open_round: IntakeRound, now: dt.datetime) -> IntakeRound:
    """Last year's round: closed, reviewed and decided; its decisions were released about seven months ago."""
    year = (open_round.closes_at + 30 * DAY).year - 1
    name = f"Intake {year}"
    existing = db.session.scalars(select(IntakeRound).where(IntakeRound.name == name)).first()
    if existing is not None:
        return existing

    def berlin_evening(days: int) -> dt.datetime:
        day = (now + dt.timedelta(days=days)).astimezone(BERLIN).date()
        return dt.datetime.combine(day, dt.time(23, 59), tzinfo=BERLIN).astimezone(dt.UTC)

    intake = IntakeRound(
        name=name,
        opens_at=berlin_evening(-400),
        closes_at=berlin_evening(-290),
        referees_due=berlin_evening(-276),
        reviews_due=berlin_evening(-260),
        decisions_on=berlin_evening(-228),
        created_at=berlin_evening(-420),
    )
    db.session.add(intake)
    db.session.flush()
    return intake


def demo_applications_exist() -> bool:
    emails = [row[0] for row in PEOPLE]
    query = select(func.count(Application.id)).join(User).where(User.email.in_(emails))
    return bool(db.session.scalar(query))


def seed_applications(open_round: IntakeRound, *, password_hash: str) -> tuple[IntakeRound, dict[str, int]]:
    """Create the demo applications (once); returns the closed round and the two rounds' applications per state."""
    now = utcnow()
    closed_round = _ensure_closed_round(open_round, now)
    if not demo_applications_exist():
        staff = [*REVIEWERS.values(), COORDINATOR]
        users = {email: user for email in staff if (user := accounts.find_user_by_email(email)) is not None}
        profiles = db.session.scalars(select(SupervisorProfile).order_by(SupervisorProfile.id)).all()
        ctx = _Context(
            rng=random.Random(SEED),  # noqa: S311 - demo data, not secrets
            clock=_Clock(),
            password_hash=password_hash,
            users=users,
            profiles={c: [p for p in profiles if p.university.country == c] for c in (Country.DE, Country.CN)},
            admitted=Counter(),
        )
        with _simulated(ctx.clock):
            _build_round(ctx, closed_round, CLOSED_ROUND, _closed_timeline(closed_round))
            if open_round.is_open(now):
                _build_round(ctx, open_round, OPEN_ROUND, _open_timeline(open_round, now))
    return closed_round, state_counts([open_round, closed_round])


def state_counts(rounds: list[IntakeRound]) -> dict[str, int]:
    """The applications of the rounds per state, decided ones by outcome once released (in the workflow's order)."""
    query = (
        select(Application.state, Decision.outcome, Decision.released_at.is_not(None), func.count(Application.id))
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.round_id.in_([r.id for r in rounds]))
        .group_by(Application.state, Decision.outcome, Decision.released_at.is_not(None))
    )
    keys = [s.value for s in ApplicationState if s != ApplicationState.WITHDRAWN] + [
        f"released:{o.value}" for o in DecisionOutcome
    ]
    counts = dict.fromkeys([*keys, ApplicationState.WITHDRAWN.value], 0)
    for state, outcome, released, count in db.session.execute(query):
        key = f"released:{outcome.value}" if state == ApplicationState.DECIDED and released else state.value
        counts[key] += count
    return {key: count for key, count in counts.items() if count}
