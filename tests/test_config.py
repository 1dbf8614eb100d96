"""Configuration: safe defaults, and production refuses to start without a real secret key."""

from __future__ import annotations

import gc

import pytest

from portal import create_app
from portal.config import ConfigurationError, load_config


def test_production_without_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_with_a_short_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="32 characters"):
        create_app()


def test_production_defaults_are_strict(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["MAIL_BACKEND"] == "smtp"


def test_development_defaults(monkeypatch):
    for name in ("PORTAL_ENV", "SECRET_KEY", "MAIL_SERVER", "MAIL_BACKEND", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    config = load_config()
    assert config["MAIL_BACKEND"] == "console"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert not config["SESSION_COOKIE_SECURE"]
    assert config["PORTAL_DATA_DIR"].endswith("instance/data")


def test_production_refuses_per_process_throttling(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI"):
        create_app()


def test_what_the_app_built_is_left_out_of_garbage_collection(other_app):
    gc.unfreeze()  # what earlier apps froze is collected again, until the next one is built
    assert gc.get_freeze_count() == 0
    app = other_app()
    assert gc.get_freeze_count() > 100_000 and not any(found is app for found in gc.get_objects())
