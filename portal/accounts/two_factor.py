"""Two-factor sign-in: an authenticator app's time-based codes (TOTP, RFC 6238, with pyotp) and one-time recovery codes.

The app's secret is stored encrypted with a key derived from SECRET_KEY (portal.core.crypto): the codes need the secret
itself, so it cannot be hashed, and a copy of the database alone must not let anyone make codes. Recovery codes are
stored as keyed hashes (HMAC with another key derived from SECRET_KEY). A code of the app is accepted once: a code of
the same or an earlier time step is refused afterwards, so that a code seen over someone's shoulder cannot be used
again.
The QR code is drawn here (segno, as SVG), never by another site.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from portal import db
from portal.accounts import sessions
from portal.accounts.models import RecoveryCode, SecondFactor, User, UserSession
from portal.accounts.services import AccountError, note_sign_in
from portal.core import audit, crypto, security_events
from portal.core.outbox import notify
from portal.core.timeutil import utcnow

ISSUER = "Promotionskolleg"
SECRET_PURPOSE = "totp-secret"  # noqa: S105 - the name of a key's purpose, not a secret
RECOVERY_PURPOSE = "recovery-code"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper without doubt
RECOVERY_LENGTH = 10
# Codes of the previous and the next 30-second step are accepted too: phones' clocks drift.
VALID_WINDOW = 1
APP_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for typing in, and the QR code of the same otpauth:// address."""

    secret: str
    uri: str
    qr_data_uri: str

    @property
    def grouped_secret(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def qr_data_uri(uri: str) -> str:
    """The QR code of uri as an inline SVG image (the page's CSP allows data: images)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _factor_of(user: User) -> SecondFactor:
    if user.second_factor is None:
        user.second_factor = SecondFactor(user_id=user.id)
        db.session.flush()
    return user.second_factor


def begin_enrolment(user: User, password: str | None = None) -> None:
    """Draw a new secret for the user's authenticator app; it takes effect once a code of it is confirmed. Replacing
    an app that is in use needs the password: a browser left signed in must not be enough to take the account over."""
    if user.has_second_factor and not user.check_password(password or ""):
        raise AccountError(_("Please enter your password to replace your authenticator app."), field="password")
    factor = _factor_of(user)
    factor.pending_secret = crypto.encrypt(pyotp.random_base32(), SECRET_PURPOSE)
    factor.pending_since = utcnow()
    db.session.flush()


def enrolment(user: User) -> Enrolment | None:
    """The enrolment in progress, if any."""
    factor = user.second_factor
    if factor is None or factor.pending_secret is None:
        return None
    secret = crypto.decrypt(factor.pending_secret, SECRET_PURPOSE)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_data_uri=qr_data_uri(uri))


def _normalized(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _accepted_step(secret: str, code: str, last_step: int, now: dt.datetime) -> int | None:
    """The time step whose code this is, if it lies within the window and after the last accepted one."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_app_code(factor: SecondFactor, secret: str, code: str) -> bool:
    """Accept a code of the app once: the step is moved forward by a conditional update (two requests, one wins)."""
    step = _accepted_step(secret, code, factor.last_step, utcnow())
    if step is None:
        return False
    moved = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id, SecondFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    factor.last_step = step
    return True


def confirm_enrolment(user: User, code: str, current: UserSession | None = None) -> list[str]:
    """Switch the user to the pending secret once its code is right, the current session counting as signed in with
    it; returns the new recovery codes (shown once)."""
    factor = user.second_factor
    if factor is None or factor.pending_secret is None:
        raise AccountError(_("Please start the set-up again."))
    normalized = _normalized(code)
    step = APP_CODE.fullmatch(normalized) and _accepted_step(
        crypto.decrypt(factor.pending_secret, SECRET_PURPOSE), normalized, 0, utcnow()
    )
    if not step:
        raise AccountError(_("This code is not right. Please type the code your app shows now."), field="code")
    replaced = factor.enabled
    factor.secret, factor.pending_secret, factor.pending_since = factor.pending_secret, None, None
    factor.enabled_at, factor.last_step = utcnow(), step
    if current is not None:
        current.second_factor_at = factor.enabled_at
    db.session.flush()
    audit.record("account.second_factor_enabled", user, details={"replaced": replaced})
    return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=crypto.keyed_digest(code, RECOVERY_PURPOSE)) for code in codes
    )
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are unused."""
    query = select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(query) or 0


def _use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash.in_(crypto.keyed_digests(code, RECOVERY_PURPOSE)),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def _stored_secret(factor: SecondFactor) -> str | None:
    try:
        return crypto.decrypt(factor.secret or "", SECRET_PURPOSE)
    except crypto.UndecryptableSecret:
        # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: only recovery codes or a reset help now.
        current_app.logger.error("the second factor of user %s cannot be decrypted with SECRET_KEY", factor.user_id)
        return None


def check_code(user: User, code: str) -> str | None:
    """Use up the app's code or a recovery code of the user: "app" or "recovery_code", or None when it is wrong."""
    factor, normalized = user.second_factor, _normalized(code)
    if factor is None or not factor.enabled or not normalized:
        return None
    if APP_CODE.fullmatch(normalized):
        secret = _stored_secret(factor)
        if secret is None or not _use_app_code(factor, secret, normalized):
            return None
        factor.secret = crypto.reencrypt(factor.secret or "", SECRET_PURPOSE)  # moves to a rotated SECRET_KEY
        return "app"
    if len(normalized) == RECOVERY_LENGTH and _use_recovery_code(user, normalized):
        notify(user, "recovery_code_used", left=recovery_codes_left(user))
        return "recovery_code"
    return None


def sign_in_with_code(user: User, code: str) -> User:
    """The user after a right code of their app or an unused recovery code; refused (and noted in the audit) else."""
    used = check_code(user, code)
    if used is None:
        security_events.note("account.second_factor_failed", user)
        raise AccountError(_("This code is not right. Please try again."), field="code")
    note_sign_in(user, second_factor=used)
    return user


def replace_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes, after a code of the app; the old ones stop working."""
    if check_code(user, code) != "app":
        raise AccountError(_("This code is not right. Please type the code your app shows now."), field="code")
    audit.record("account.recovery_codes_replaced", user)
    return _new_recovery_codes(user)


def disable(user: User, password: str) -> None:
    """Turn two-factor sign-in off after the password; refused for roles that require it."""
    if user.requires_second_factor:
        raise AccountError(_("Your role requires two-factor sign-in: it cannot be turned off."))
    if not user.check_password(password):
        raise AccountError(_("The password is not correct."), field="password")
    remove(user)
    audit.record("account.second_factor_disabled", user)


def remove(user: User) -> None:
    """Forget the user's authenticator app and recovery codes (the next sign-in asks for the password only)."""
    if user.second_factor is not None:
        db.session.delete(user.second_factor)
        user.second_factor = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset(user: User) -> None:
    """For a person who lost both the app and the recovery codes (an administrator's command): forget the app, end
    every session; a role that requires two factors enrols again at the next sign-in."""
    remove(user)
    sessions.end_sessions(user, "second_factor_reset")
    audit.record("account.second_factor_reset", user)
