"""The demo's accounts: one per role (all with the demo password), the supervisors with their directory entries, and
the selection committee with their seats."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core.roles import Role
from portal.people.services import language_for, zone_for
from portal.review.models import CommitteeMember
from portal.supervisors import services as supervisors
from portal.supervisors.models import ResearchField as F
from portal.supervisors.models import University

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - printed for everyone; refused in production

DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[Role, ...], str, str], ...] = (
    ("applicant@example.org", "Li Wei", (Role.APPLICANT,), "zh", "Asia/Shanghai"),
    ("supervisor.de@example.org", "Anna Becker", (Role.SUPERVISOR,), "de", "Europe/Berlin"),
    ("supervisor.cn@example.org", "Zhang Min", (Role.SUPERVISOR,), "zh", "Asia/Shanghai"),
    ("committee@example.org", "Thomas Krüger", (Role.COMMITTEE,), "de", "Europe/Berlin"),
    ("coordinator@example.org", "Julia Hoffmann", (Role.COORDINATOR,), "en", "Europe/Berlin"),
    ("admin@example.org", "Portal Admin", (Role.ADMIN,), "en", "Europe/Berlin"),
)

# (email, name, university, title, department, research areas, languages, fields)
# fmt: off
DEMO_SUPERVISORS: tuple[tuple[str, str, str, str, str, str, str, tuple[F, ...]], ...] = (
    ("supervisor.de@example.org", "Anna Becker", "TUC", "Prof. Dr.-Ing.", "Institute of Mechanical Engineering",
     "Additive manufacturing, digital twins", "de, en", (F.INTELLIGENT_MANUFACTURING, F.MATERIALS)),
    ("m.schulz@example.org", "Martin Schulz", "TUC", "Prof. Dr.", "Institute of Energy Research",
     "Hydrogen storage, fuel cells", "de, en", (F.ENERGY_HYDROGEN,)),
    ("k.wagner@example.org", "Katrin Wagner", "TUC", "Prof. Dr.", "Department of Informatics",
     "Machine learning for process data", "de, en", (F.BIG_DATA, F.INTELLIGENT_MANUFACTURING)),
    ("s.meyer@example.org", "Sabine Meyer", "UGOE", "Prof. Dr.", "Faculty of Economic Sciences",
     "Development economics, China studies", "de, en, zh", (F.ECONOMICS_SOCIETY,)),
    ("j.fischer@example.org", "Jonas Fischer", "UGOE", "Prof. Dr.", "University Medical Center",
     "Medical informatics, digital health records", "de, en", (F.DIGITAL_HEALTH, F.BIG_DATA)),
    ("h.weber@example.org", "Heike Weber", "UGOE", "Prof. Dr.", "Institute of Computer Science",
     "Data science, scientific computing", "de, en", (F.BIG_DATA,)),
    ("p.schneider@example.org", "Peter Schneider", "LUH", "Prof. Dr.-Ing.", "Institute of Production Engineering",
     "Smart factories, robotics", "de, en", (F.INTELLIGENT_MANUFACTURING,)),
    ("c.richter@example.org", "Claudia Richter", "LUH", "Prof. Dr.", "Institute of Electric Power Systems",
     "Grid integration of renewables and hydrogen", "de, en", (F.ENERGY_HYDROGEN,)),
    ("f.wolf@example.org", "Frank Wolf", "LUH", "Prof. Dr.", "Institute of Materials Science",
     "Lightweight alloys, composites", "de, en", (F.MATERIALS,)),
    ("b.neumann@example.org", "Birgit Neumann", "TUBS", "Prof. Dr.", "Institute for Medical Informatics",
     "Telemedicine, health data", "de, en", (F.DIGITAL_HEALTH,)),
    ("t.schwarz@example.org", "Tobias Schwarz", "TUBS", "Prof. Dr.-Ing.", "Institute of Machine Tools",
     "Battery production, sustainable manufacturing", "de, en", (F.INTELLIGENT_MANUFACTURING, F.ENERGY_HYDROGEN)),
    ("e.zimmermann@example.org", "Eva Zimmermann", "UOS", "Prof. Dr.", "Institute of Cognitive Science",
     "Human-centred AI", "de, en", (F.BIG_DATA, F.ECONOMICS_SOCIETY)),
    ("r.braun@example.org", "Ralf Braun", "UOS", "Prof. Dr.", "School of Business Administration and Economics",
     "Supply chains between Europe and Asia", "de, en", (F.ECONOMICS_SOCIETY,)),
    ("wang.fang@example.org", "Wang Fang", "SCU", "Prof.", "College of Materials Science and Engineering",
     "Functional materials, polymers", "zh, en", (F.MATERIALS,)),
    ("liu.yang@example.org", "Liu Yang", "SCU", "Prof.", "West China School of Medicine",
     "Digital health, epidemiology", "zh, en", (F.DIGITAL_HEALTH,)),
    ("chen.jie@example.org", "Chen Jie", "ZZU", "Prof.", "School of Mechanical and Power Engineering",
     "Intelligent manufacturing systems", "zh, en", (F.INTELLIGENT_MANUFACTURING,)),
    ("zhao.lei@example.org", "Zhao Lei", "ZZU", "Prof.", "School of Business",
     "Regional economics, innovation policy", "zh, en, de", (F.ECONOMICS_SOCIETY,)),
    ("sun.hao@example.org", "Sun Hao", "BUAA", "Prof.", "School of Computer Science and Engineering",
     "Big data systems, distributed computing", "zh, en", (F.BIG_DATA,)),
    ("zhou.xin@example.org", "Zhou Xin", "BUAA", "Prof.", "School of Materials Science and Engineering",
     "Aerospace materials", "zh, en", (F.MATERIALS, F.INTELLIGENT_MANUFACTURING)),
    ("supervisor.cn@example.org", "Zhang Min", "TONGJI", "Prof.", "School of Automotive Studies",
     "Hydrogen vehicles, fuel cell systems", "zh, en, de", (F.ENERGY_HYDROGEN, F.INTELLIGENT_MANUFACTURING)),
    ("huang.li@example.org", "Huang Li", "TONGJI", "Prof.", "College of Electronics and Information Engineering",
     "Medical imaging, AI in healthcare", "zh, en", (F.DIGITAL_HEALTH, F.BIG_DATA)),
    ("xu.ming@example.org", "Xu Ming", "TONGJI", "Prof.", "School of Economics and Management",
     "Sino-German economic relations", "zh, en, de", (F.ECONOMICS_SOCIETY,)),
)
# fmt: on


# Selection committee members and their universities (committee@example.org is one of them).
DEMO_COMMITTEE: tuple[tuple[str, str, str], ...] = (
    ("committee@example.org", "Thomas Krüger", "LUH"),
    ("k.lehmann@example.org", "Karin Lehmann", "TUBS"),
    ("ma.jun@example.org", "Ma Jun", "SCU"),
    ("li.na@example.org", "Li Na", "TONGJI"),
)


@cache
def demo_password_hash() -> str:
    """The demo password, hashed once: hashing is deliberately slow, and every demo account shares the password."""
    return generate_password_hash(DEMO_PASSWORD)


def ensure_user(email: str, name: str, roles: tuple[Role, ...], language: str, timezone: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.create_user(
            email=email,
            name=name,
            password=None,
            roles=list(roles),
            language=language,
            timezone=timezone,
            confirmed=True,
        )
        user.password_hash = demo_password_hash()
        return user
    for role in roles:
        accounts.grant_role(user, role)
    return user


def _university(code: str) -> University:
    university = supervisors.university_by_code(code)
    assert university is not None
    return university


def seed_accounts() -> None:
    """The accounts of every role, the supervisors' directory entries and the committee's seats (those missing)."""
    for email, name, roles, language, timezone in DEMO_ACCOUNTS:
        ensure_user(email, name, roles, language, timezone)
    for email, name, code, title, department, areas, languages, fields in DEMO_SUPERVISORS:
        university = _university(code)
        user = ensure_user(email, name, (Role.SUPERVISOR,), language_for(university), zone_for(university))
        if supervisors.profile_of(user) is None:
            supervisors.create_profile(
                user,
                university,
                title=title,
                department=department,
                research_areas=areas,
                languages=languages,
                capacity=2,
                fields=list(fields),
            )
    for email, name, code in DEMO_COMMITTEE:
        university = _university(code)
        member = ensure_user(email, name, (Role.COMMITTEE,), language_for(university), zone_for(university))
        if db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == member.id)).first() is None:
            db.session.add(CommitteeMember(user=member, university=university))
