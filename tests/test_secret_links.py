"""Pages behind secret links (email confirmation, password reset, invitation, referee letter): every link that does
not work gets the same 404 whatever is wrong with it, every method is throttled per address, and no page behind a
link sends a referrer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from portal import db
from portal.accounts.models import AccountToken, TokenPurpose
from portal.applications.models import ApplicationState
from portal.core.timeutil import utcnow
from portal.core.tokens import new_token
from portal.extensions import limiter
from tests.factories import UserFactory, submitted_application

ACCOUNT_LINKS = {
    "confirm": ("/account/confirm", TokenPurpose.CONFIRM_EMAIL),
    "reset": ("/account/reset", TokenPurpose.RESET_PASSWORD),
    "invitation": ("/account/invitation", TokenPurpose.INVITATION),
}
KINDS = [*ACCOUNT_LINKS, "referee"]
# Headers whose values count requests or time, not the link: compared by presence only.
COUNTING_HEADERS = {"X-RateLimit-Reset", "X-RateLimit-Remaining", "Retry-After"}


@dataclass
class Link:
    kind: str
    prefix: str
    record_id: int
    token: str

    @property
    def url(self) -> str:
        return f"{self.prefix}/{self.record_id}/{self.token}"


def make_link(kind: str, **changes) -> tuple[Link, object]:
    """A working link of the kind and the record behind it (changes are applied to the record)."""
    token, token_hash = new_token()
    if kind == "referee":
        application = submitted_application()
        record = application.referees[0]
        record.token_hash, record.invited_at = token_hash, utcnow()
        record.token_expires_at = application.intake_round.letters_due
        prefix = "/referee"
    else:
        prefix, purpose = ACCOUNT_LINKS[kind]
        user = UserFactory(password_hash=None) if kind == "invitation" else UserFactory()
        record = AccountToken(
            user=user, purpose=purpose, token_hash=token_hash, expires_at=utcnow() + dt.timedelta(hours=1)
        )
        db.session.add(record)
    for name, value in changes.items():
        setattr(record, name, value)
    db.session.flush()
    return Link(kind, prefix, record.id, token), record


def broken_links(kind: str) -> dict[str, str]:
    """One link per way a link can fail: unknown id, impossible id, wrong token, expired, used up (or replaced)."""
    working, _record = make_link(kind)
    past = utcnow() - dt.timedelta(minutes=1)
    if kind == "referee":
        expired, _ = make_link(kind, token_expires_at=past)
        used, replaced = make_link(kind)
        replaced.token_hash = new_token()[1]  # the applicant sent a new link: the old one is used up
        withdrawn, invitation = make_link(kind)
        invitation.application.state = ApplicationState.WITHDRAWN
        extra = {"application withdrawn": withdrawn.url}
    else:
        expired, _ = make_link(kind, expires_at=past)
        used, _ = make_link(kind, used_at=past)
        wrong_purpose_kind = "reset" if kind != "reset" else "confirm"
        other, _ = make_link(wrong_purpose_kind)
        extra = {"token of another kind of link": f"{working.prefix}/{other.record_id}/{other.token}"}
    db.session.commit()
    return {
        "unknown id": f"{working.prefix}/{working.record_id + 1000}/{working.token}",
        "id beyond the database": f"{working.prefix}/{10**30}/{working.token}",
        "id that is no number": f"{working.prefix}/abc/{working.token}",
        "wrong token": f"{working.prefix}/{working.record_id}/{working.token[:-2]}xx",
        "expired": expired.url,
        "used": used.url,
        **extra,
    }


def _comparable(response) -> tuple[int, bytes, dict[str, str]]:
    # The CSRF token of the page's language form is signed with the time: it says nothing about the link.
    body = re.sub(rb'name="csrf_token" value="[^"]+"', b'name="csrf_token" value=""', response.data)
    headers = {name: ("…" if name in COUNTING_HEADERS else value) for name, value in response.headers.items()}
    return response.status_code, body, headers


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_broken_link_gets_the_same_404(app, client, plain_app_context, kind, method):
    working, _record = make_link(kind)
    db.session.commit()
    assert client.get(working.url).status_code == 200  # the links are made right: only what is broken fails
    answers = {}
    for reason, url in broken_links(kind).items():
        limiter.reset()  # each answer counts as the first of its address
        answers[reason] = _comparable(client.open(url, method=method, data={"password": "x"}))
    first = next(iter(answers.values()))
    assert first[0] == 404
    assert first[2]["Referrer-Policy"] == "no-referrer"
    assert {reason: answer for reason, answer in answers.items() if answer != first} == {}


@pytest.mark.parametrize("kind", KINDS)
def test_pages_behind_a_link_send_no_referrer(app, client, plain_app_context, kind):
    link, _record = make_link(kind)
    db.session.commit()
    page = client.get(link.url)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Other pages keep the site's policy.
    assert client.get("/account/login").headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_LINK_LIMIT", "3 per hour")


def test_opening_links_is_throttled_per_address_for_get_and_post_across_all_link_pages(
    app, client, plain_app_context, small_limit
):
    links = {kind: make_link(kind)[0] for kind in KINDS}
    db.session.commit()
    here, elsewhere = {"REMOTE_ADDR": "10.9.0.1"}, {"REMOTE_ADDR": "10.9.0.2"}
    assert client.get(links["confirm"].url, environ_base=here).status_code == 200
    assert client.get(f"/account/reset/{10**30}/guess", environ_base=here).status_code == 404
    assert client.get("/referee/1/guess", environ_base=here).status_code == 404
    # The allowance of this address is used up, on every page behind a link and for every method.
    for kind in KINDS:
        assert client.get(links[kind].url, environ_base=here).status_code == 429
        assert client.post(links[kind].url, data={}, environ_base=here).status_code == 429
    assert client.get(links["referee"].url, environ_base=here).headers["Referrer-Policy"] == "no-referrer"
    # Another address is not affected, and pages without a secret link are not either.
    assert client.get(links["invitation"].url, environ_base=elsewhere).status_code == 200
    assert client.get("/account/login", environ_base=here).status_code == 200


def test_a_throttled_address_changes_nothing(app, client, plain_app_context, small_limit):
    link, record = make_link("confirm")
    user = record.user
    user.email_confirmed_at = None
    db.session.commit()
    for _ in range(3):
        client.get(f"/account/confirm/{record.id + 99}/guess", environ_base={"REMOTE_ADDR": "10.9.1.1"})
    answer = client.post(link.url, data={}, environ_base={"REMOTE_ADDR": "10.9.1.1"})
    assert answer.status_code == 429
    db.session.expire_all()
    assert db.session.get(AccountToken, record.id).used_at is None
    assert user.email_confirmed_at is None


def test_secret_link_pages_are_public_views_with_a_role_declaration(app):
    for endpoint in (
        "accounts.confirm_email",
        "accounts.reset_password",
        "accounts.accept_invitation",
        "referees.letter",
    ):
        view = app.view_functions[endpoint]
        assert getattr(view, "portal_secret_link", False), endpoint
        assert getattr(view, "portal_roles", None) == frozenset({"public"}), endpoint
