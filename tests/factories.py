"""factory_boy factories for the models the tests build."""

from __future__ import annotations

import factory
from werkzeug.security import generate_password_hash

from portal import db
from portal.accounts.models import User, UserRole
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.supervisors.models import SupervisorProfile, University

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
