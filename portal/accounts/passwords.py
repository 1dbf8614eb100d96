"""The password policy: long enough, not the email or name, not a commonly used password."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 200


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most frequent passwords of public leaks.
    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_common(password: str) -> bool:
    lowered = password.lower()
    if lowered in _common_passwords():
        return True
    # "password1234!" is as weak as "password": strip trailing digits and symbols and look again.
    core = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    return len(core) >= 4 and core in _common_passwords()


def _is_personal(password: str, email: str, name: str) -> str | None:
    """Why the password is the person's own address or name, if it is."""
    lowered = password.lower()
    local_part = email.lower().partition("@")[0]
    if email and (lowered == email.lower() or (len(local_part) >= 4 and local_part in lowered)):
        return _("The password must not contain your email address.")
    if name and len(name) >= 4 and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return _("The password must not be your name.")
    return None


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """The reasons password is not acceptable, in the viewer's language; empty when it is fine."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(count)d characters.", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(count)d characters.", count=MAX_LENGTH))
    personal = _is_personal(password, email, name)
    if personal is not None:
        problems.append(personal)
    if _is_common(password) or len(set(password)) <= 3:
        problems.append(_("This password is too common or too easy to guess. Please choose another one."))
    return problems
