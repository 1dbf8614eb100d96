"""Secrets kept in the database that a copy of the database alone must not reveal: encrypted, or hashed with a key,
where the key is derived from SECRET_KEY (which lives in the app servers' environment, never in the database).

Each purpose gets its own key (HKDF with the purpose as context), so that no derived key equals another or the key that
signs the sessions. SECRET_KEY_FALLBACKS (older keys, newest first) still decrypt and verify what they protected, so
that SECRET_KEY can be rotated; what is encrypted again (`reencrypt`) then moves to the current key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class UndecryptableSecret(ValueError):
    """The ciphertext was made with a key that is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS."""


@cache
def _derived_key(secret_key: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"portal:{purpose}".encode()).derive(
        secret_key.encode("utf-8")
    )


def _secret_keys() -> list[str]:
    """SECRET_KEY first, then the fallbacks."""
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [current_app.config["SECRET_KEY"], *fallbacks]


def _fernet(purpose: str) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived_key(key, purpose))) for key in _secret_keys()])


def encrypt(plaintext: str, purpose: str) -> str:
    """The plaintext encrypted and authenticated (Fernet: AES-128-CBC with HMAC-SHA256) under the purpose's key."""
    return _fernet(purpose).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str, purpose: str) -> str:
    """The plaintext of what `encrypt` made with the current or an older key; UndecryptableSecret otherwise."""
    try:
        return _fernet(purpose).decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise UndecryptableSecret(purpose) from error


def reencrypt(ciphertext: str, purpose: str) -> str:
    """The same plaintext encrypted under the current key (after a rotation of SECRET_KEY)."""
    try:
        return _fernet(purpose).rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise UndecryptableSecret(purpose) from error


def _hmac(key: str, value: str, purpose: str) -> str:
    return hmac.new(_derived_key(key, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digest(value: str, purpose: str) -> str:
    """HMAC-SHA256 of value under the purpose's current key, in hex: what is stored in place of a secret code."""
    return _hmac(_secret_keys()[0], value, purpose)


def keyed_digests(value: str, purpose: str) -> list[str]:
    """The keyed digests of value under the current and every older key: one of them is stored if value was."""
    return [_hmac(key, value, purpose) for key in _secret_keys()]
