"""Seed rows for people: the coordinator, the committee, the supervisors and the applicants' accounts, with names in
Latin letters and Chinese characters; the known accounts the benchmark signs in with come first."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.security import generate_password_hash

from tests.bench.settings import PASSWORD

SUPERVISORS = 300
COMMITTEE = 60

KNOWN = {
    "coordinator": "coordinator@bench.example",
    "reviewer": "reviewer@bench.example",
    "supervisor": "supervisor@bench.example",
    "applicant": "applicant@bench.example",
}

# (pinyin, characters)
CHINESE_FAMILY = (
    ("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"), ("Zhao", "赵"),
    ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"), ("Xu", "徐"), ("Sun", "孙"), ("Hu", "胡"), ("Zhu", "朱"),
    ("Gao", "高"), ("Lin", "林"), ("He", "何"), ("Guo", "郭"), ("Ma", "马"), ("Luo", "罗"),
)  # fmt: skip
CHINESE_GIVEN = (
    ("Wei", "伟"), ("Fang", "芳"), ("Na", "娜"), ("Min", "敏"), ("Jing", "静"), ("Xiuying", "秀英"), ("Lei", "磊"),
    ("Qiang", "强"), ("Yang", "洋"), ("Yan", "艳"), ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"),
    ("Xiaoming", "小明"), ("Hui", "慧"), ("Jun", "军"), ("Ping", "平"), ("Hao", "浩"), ("Yuxuan", "宇轩"),
)  # fmt: skip
# (nationality, family names, given names) of the applicants who are not Chinese.
OTHER_NAMES = (
    ("DE", ("Müller", "Schmidt", "Becker", "Krüger"), ("Jonas", "Lea", "Lukas", "Jülide")),
    ("VN", ("Nguyen", "Tran", "Le", "Pham"), ("Thi Lan", "Van Minh", "Thu Trang", "Quoc Bao")),
    ("IN", ("Sharma", "Patel", "Iyer", "Singh"), ("Priya", "Arjun", "Ananya", "Rohan")),
    ("ID", ("Santoso", "Wijaya", "Hidayat", "Putri"), ("Budi", "Siti", "Agus", "Dewi")),
    ("TR", ("Çelik", "Yılmaz", "Demir", "Şahin"), ("Emre", "Elif", "Mert", "Zeynep")),
    ("BR", ("Santos", "Oliveira", "Souza", "Lima"), ("Ana", "João", "Mariana", "Pedro")),
    ("IR", ("Hosseini", "Ahmadi", "Karimi", "Rahimi"), ("Sara", "Reza", "Maryam", "Ali")),
    ("RU", ("Ivanova", "Smirnov", "Kuznetsova", "Popov"), ("Olga", "Dmitri", "Anastasia", "Ivan")),
)
GERMAN_STAFF = (
    ("Anna", "Becker"), ("Martin", "Schulz"), ("Katrin", "Wagner"), ("Sabine", "Meyer"), ("Jonas", "Fischer"),
    ("Thomas", "Krüger"), ("Julia", "Hoffmann"), ("Stefan", "Weber"), ("Claudia", "Schäfer"), ("Jürgen", "Koch"),
    ("Petra", "Richter"), ("Uwe", "Klein"), ("Birgit", "Wolf"), ("Frank", "Neumann"), ("Heike", "Schwarz"),
)  # fmt: skip
GERMAN_TITLES = ("Prof. Dr.", "Prof. Dr.-Ing.", "Jun.-Prof. Dr.", "apl. Prof. Dr.")
CHINESE_TITLES = ("Prof.", "Prof. Dr.", "Assoc. Prof.")
RESEARCH_FIELDS = (
    "intelligent_manufacturing", "big_data", "energy_hydrogen", "materials", "digital_health", "economics_society",
)  # fmt: skip


@dataclass
class People:
    """The ids the other seed rows refer to, and the rows of the people's tables."""

    coordinator: int
    reviewers: list[int]  # the known reviewer first
    german_profiles: list[int]  # the known supervisor's profile first
    chinese_profiles: list[int]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    next_user_id: int = 1
    password_hash: str = ""  # of the known accounts


@dataclass(frozen=True)
class Person:
    """An applicant as the application and the account show them."""

    family: str
    given: str
    native: str
    account_name: str
    nationality: str
    language: str
    timezone: str


def person(rng: random.Random) -> Person:
    """A Chinese applicant (seven in ten; half of their accounts named in characters) or one from elsewhere."""
    if rng.random() < 0.7:
        (family, family_zh), (given, given_zh) = rng.choice(CHINESE_FAMILY), rng.choice(CHINESE_GIVEN)
        native = family_zh + given_zh
        account = native if rng.random() < 0.5 else f"{family} {given}"
        return Person(family, given, native, account, "CN", "zh", "Asia/Shanghai")
    nationality, families, givens = rng.choice(OTHER_NAMES)
    family, given = rng.choice(families), rng.choice(givens)
    language = "de" if nationality == "DE" else "en"
    return Person(family, given, "", f"{given} {family}", nationality, language, "Europe/Berlin")


def user_row(user_id: int, email: str, name: str, language: str, timezone: str, now: dt.datetime) -> dict[str, Any]:
    """A users row without a password (signing in is for the known accounts only)."""
    return {
        "id": user_id,
        "email": email,
        "name": name,
        "password_hash": None,
        "language": language,
        "timezone": timezone,
        "active": True,
        "email_confirmed_at": now - dt.timedelta(days=400),
        "created_at": now - dt.timedelta(days=400),
    }


def known_password_hash() -> str:
    """The hash of PASSWORD for the known accounts (computed once: it is slow on purpose)."""
    return generate_password_hash(PASSWORD)


def staff_and_supervisors(universities: list[dict[str, Any]], now: dt.datetime, rng: random.Random) -> People:
    """The coordinator, COMMITTEE members with their seats, SUPERVISORS profiles over the nine universities."""
    password_hash = known_password_hash()
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []

    def add_user(email: str, name: str, role: str, language: str, timezone: str, known: bool = False) -> int:
        user_id = len(users) + 1
        row = user_row(user_id, email, name, language, timezone, now)
        if known:
            row["password_hash"] = password_hash
        users.append(row)
        roles.append({"id": len(roles) + 1, "user_id": user_id, "role": role, "granted_at": row["created_at"]})
        return user_id

    coordinator = add_user(KNOWN["coordinator"], "Julia Hoffmann", "coordinator", "de", "Europe/Berlin", known=True)
    seats, reviewers = [], []
    for n in range(COMMITTEE):
        university = universities[n % len(universities)]
        german = university["country"] == "DE"
        name = _staff_name(rng, german, n)
        email = KNOWN["reviewer"] if n == 0 else f"committee{n}@bench.example"
        language, timezone = ("de", "Europe/Berlin") if german else ("zh", "Asia/Shanghai")
        user_id = add_user(email, name, "committee", language, timezone, known=n == 0)
        reviewers.append(user_id)
        seats.append({"id": n + 1, "user_id": user_id, "university_id": university["id"]})
    profiles, fields, german_profiles, chinese_profiles = [], [], [], []
    for n in range(SUPERVISORS):
        university = universities[n % len(universities)]
        german = university["country"] == "DE"
        email = KNOWN["supervisor"] if n == 0 else f"supervisor{n}@bench.example"
        language, timezone = ("de", "Europe/Berlin") if german else ("zh", "Asia/Shanghai")
        user_id = add_user(email, _staff_name(rng, german, n), "supervisor", language, timezone, known=n == 0)
        profile_id = n + 1
        chosen = rng.sample(RESEARCH_FIELDS, 2)
        profiles.append(
            {
                "id": profile_id,
                "user_id": user_id,
                "university_id": university["id"],
                "title": rng.choice(GERMAN_TITLES if german else CHINESE_TITLES),
                "department": "Institute of " + chosen[0].replace("_", " ").title(),
                "research_areas": ", ".join(c.replace("_", " ") for c in chosen),
                "languages": "de, en" if german else "zh, en",
                "capacity": rng.randint(1, 4),
                "accepting_candidates": rng.random() < 0.9,
            }
        )
        fields += [{"profile_id": profile_id, "field": value} for value in chosen]
        (german_profiles if german else chinese_profiles).append(profile_id)
    people = People(coordinator, reviewers, german_profiles, chinese_profiles, next_user_id=len(users) + 1)
    people.password_hash = password_hash
    people.rows = {
        "users": users,
        "user_roles": roles,
        "supervisor_profiles": profiles,
        "supervisor_fields": fields,
        "committee_members": seats,
    }
    return people


def _staff_name(rng: random.Random, german: bool, n: int) -> str:
    if german:
        given, family = rng.choice(GERMAN_STAFF)
        return f"{given} {family}"
    (family, family_zh), (given, given_zh) = rng.choice(CHINESE_FAMILY), rng.choice(CHINESE_GIVEN)
    return family_zh + given_zh if n % 2 else f"{family} {given}"


def applicant_rows(
    user_id: int, role_id: int, email: str, who: Person, now: dt.datetime, password_hash: str | None = None
) -> Iterator[tuple[str, dict]]:
    """An applicant's account and role, as (table, row) pairs."""
    row = user_row(user_id, email, who.account_name, who.language, who.timezone, now)
    row["password_hash"] = password_hash
    yield "users", row
    yield "user_roles", {"id": role_id, "user_id": user_id, "role": "applicant", "granted_at": row["created_at"]}
