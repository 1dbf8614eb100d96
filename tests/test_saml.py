"""SAML sign-in against a real pysaml2 identity provider started by the test: signed assertions are accepted once, for
a linked account only; a wrong audience, an expired, replayed, unsigned or wrongly signed assertion and an unknown
identity provider are each refused with a clear page, and nothing changes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import UserSession
from portal.core.roles import Role
from portal.saml import federation, flow
from portal.saml.models import SamlIdentity, UsedAssertion
from tests import saml_idp
from tests.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

EPPN = "alice@tu-clausthal.test"
OTHER_SP = "https://another-sp.test/metadata"
SLS = "http://portal.test/saml/sls"
ATTRIBUTES = {"eduPersonPrincipalName": [EPPN], "displayName": ["Alice Example"], "mail": ["alice@example.org"]}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("saml-keys")
    names = ("sp", "idp", "other", "impostor", "federation", "stranger")
    return directory, {name: saml_idp.key_pair(directory, name) for name in names}


@pytest.fixture
def saml(app, keys, monkeypatch, tmp_path):
    """The portal configured as a service provider of a federation holding the test's identity provider."""
    _directory, pairs = keys
    monkeypatch.setitem(app.config, "SAML_SP_KEY_FILE", pairs["sp"][0])
    monkeypatch.setitem(app.config, "SAML_SP_CERT_FILE", pairs["sp"][1])
    monkeypatch.setitem(app.config, "SAML_UNIVERSITY_IDPS", {"TUC": saml_idp.IDP})
    with app.test_request_context():
        from portal.saml import sp

        sp_metadata = sp.metadata_xml()
    config = saml_idp.idp_config(saml_idp.IDP, pairs["idp"], sp_metadata)
    descriptors = [
        saml_idp.entity_descriptor(config),
        saml_idp.other_institution(saml_idp.OTHER_IDP, pairs["other"], sp_metadata),
    ]
    path = saml_idp.signed_federation(tmp_path, descriptors, pairs["federation"])
    monkeypatch.setitem(app.config, "SAML_FEDERATIONS", saml_idp.federation_setting(path, pairs["federation"][1]))
    federation._cache.clear()

    class World:
        idp = saml_idp.IdentityProvider(config)
        # The known identity provider's name, another key.
        impostor = saml_idp.IdentityProvider(
            saml_idp.idp_config(saml_idp.IDP, pairs["impostor"], sp_metadata)
        )
        # Answers the requests sent to the known identity provider (intercepted), but is in no federation.
        stranger = saml_idp.IdentityProvider(
            saml_idp.idp_config(saml_idp.UNKNOWN_IDP, pairs["stranger"], sp_metadata, address=saml_idp.IDP)
        )
        federation_path = path
        sp_metadata_xml = sp_metadata

    yield World
    federation._cache.clear()


def _start(client, idp=saml_idp.IDP, endpoint="/saml/start"):
    response = client.get(endpoint, query_string={"idp": idp})
    assert response.status_code == 302
    return response.headers["Location"]


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(SamlIdentity)),
        db.session.scalar(select(func.count()).select_from(UsedAssertion)),
        db.session.scalar(select(func.count()).select_from(UserSession)),
    )


def _linked_user(**attributes):
    user = UserFactory(roles=[Role.SUPERVISOR], **attributes)
    db.session.add(SamlIdentity(user_id=user.id, issuer=saml_idp.IDP, subject=f"eppn:{EPPN}"))
    db.session.commit()
    return user


def test_metadata_names_the_assertion_consumer_service_and_single_logout(client, saml):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    body = response.get_data(as_text=True)
    assert 'entityID="http://portal.test/saml/metadata"' in body
    assert "http://portal.test/saml/acs" in body
    assert "http://portal.test/saml/sls" in body


def test_without_configuration_the_saml_pages_do_not_exist(client):
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/saml/login").status_code == 404


def test_the_request_is_signed_and_goes_to_the_universitys_single_sign_on(client, saml):
    location = _start(client)
    assert location.startswith(f"{saml_idp.IDP}/sso?")
    query = parse_qs(urlparse(location).query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query)


def test_a_linked_identity_signs_in(client, saml):
    user = _linked_user()
    location = _start(client)
    response = client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard") or "dashboard" in response.headers["Location"]
    page = client.get("/account/settings")
    assert page.status_code == 200
    assert user.name.encode() in page.data
    assert db.session.scalar(select(func.count()).select_from(UsedAssertion)) == 1


def test_an_identity_is_never_linked_by_its_email_address(client, saml):
    UserFactory(email="alice@example.org", roles=[Role.SUPERVISOR])
    db.session.commit()
    before = _counts()
    location = _start(client)
    response = client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    assert response.status_code == 400
    assert b"not linked to a portal account yet" in response.data
    assert b"sign in once with your email address and password" in response.data
    assert _counts() == before
    assert client.get("/account/settings").status_code == 302  # still signed out


def test_after_the_password_the_person_links_their_university_account(client, saml):
    user = UserFactory(roles=[Role.SUPERVISOR])
    db.session.commit()
    sign_in(client, user)
    location = _start(client, endpoint="/saml/link")
    response = client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    assert response.status_code == 302
    linked = db.session.scalars(select(SamlIdentity)).one()
    assert (linked.user_id, linked.issuer, linked.subject) == (user.id, saml_idp.IDP, f"eppn:{EPPN}")
    client.post("/account/logout")
    location = _start(client)
    client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    assert user.name.encode() in client.get("/account/settings").data


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong_audience", b"cannot be accepted"),
        ("expired", b"has expired"),
        ("unsigned", b"not signed correctly"),
        ("wrongly_signed", b"not signed correctly"),
        ("unknown_idp", b"not known to the portal"),
        ("not_started_here", b"does not belong to a sign-in started here"),
    ],
)
def test_a_bad_answer_is_refused_with_a_clear_page_and_changes_nothing(client, saml, case, message):
    _linked_user()
    before = _counts()
    location = _start(client)
    answers = {
        "wrong_audience": lambda: saml.idp.answer(location, ATTRIBUTES, rewrite=saml_idp.audience(OTHER_SP)),
        "expired": lambda: saml.idp.answer(location, ATTRIBUTES, rewrite=saml_idp.shifted_times(-120)),
        "unsigned": lambda: saml.idp.answer(location, ATTRIBUTES, signed=False),
        "wrongly_signed": lambda: saml.impostor.answer(location, ATTRIBUTES),
        "unknown_idp": lambda: saml.stranger.answer(location, ATTRIBUTES),
        "not_started_here": lambda: saml.idp.answer(location, ATTRIBUTES),
    }
    answer = answers[case]()
    if case == "not_started_here":
        with client.session_transaction() as session:
            session.pop(flow.PENDING)
    response = client.post("/saml/acs?resubmitted=1", data={"SAMLResponse": answer})
    assert response.status_code == 400
    assert message in response.data
    assert b"Sign in with your university again" in response.data
    assert _counts() == before
    assert client.get("/account/settings").status_code == 302


def test_a_replayed_assertion_is_refused(client, saml):
    user = _linked_user()
    location = _start(client)
    with client.session_transaction() as session:
        pending = dict(session[flow.PENDING])
    answer = saml.idp.answer(location, ATTRIBUTES)
    assert client.post("/saml/acs", data={"SAMLResponse": answer}).status_code == 302
    client.post("/account/logout")
    before = _counts()
    with client.session_transaction() as session:  # the same request pending again: only the assertion ID is left
        session[flow.PENDING] = pending
    response = client.post("/saml/acs", data={"SAMLResponse": answer})
    assert response.status_code == 400
    assert b"already used" in response.data
    assert _counts() == before
    assert user.name.encode() not in client.get("/").data


def test_an_unknown_identity_provider_cannot_be_chosen(client, saml):
    response = client.get("/saml/start", query_string={"idp": saml_idp.UNKNOWN_IDP}, follow_redirects=True)
    assert b"not known to the portal" in response.data
    with client.session_transaction() as session:
        assert flow.PENDING not in session


def test_federation_metadata_signed_by_another_key_is_not_trusted(client, saml, keys, monkeypatch, app):
    _directory, pairs = keys
    setting = saml_idp.federation_setting(saml.federation_path, pairs["stranger"][1])
    monkeypatch.setitem(app.config, "SAML_FEDERATIONS", setting)
    federation._cache.clear()
    response = client.get("/saml/start", query_string={"idp": saml_idp.IDP}, follow_redirects=True)
    assert b"not known to the portal" in response.data


def test_the_discovery_page_lists_the_universities_and_finds_the_others(client, saml):
    page = client.get("/saml/login")
    assert b"Clausthal University of Technology" in page.data
    assert b"Example Institute" not in page.data
    found = client.get("/saml/login", query_string={"q": "hydrogen"})
    assert b"Example Institute of Hydrogen Research" in found.data
    client.post("/language", data={"language": "zh"})
    assert "克劳斯塔尔工业大学".encode() in client.get("/saml/login").data


def test_staff_required_to_use_their_university_no_longer_sign_in_with_the_password(client, saml):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    supervisor = _linked_user()
    db.session.commit()
    sign_in(client, coordinator)
    response = client.post(f"/saml/require/{supervisor.id}", data={"required": "y"})
    assert response.status_code == 302
    client.post("/account/logout")
    refused = client.post("/account/login", data={"email": supervisor.email, "password": PASSWORD})
    assert b"signs in with your university account" in refused.data
    assert client.get("/account/settings").status_code == 302


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_only_coordinators_may_require_university_sign_in(client, saml, role):
    supervisor = _linked_user()
    sign_in(client, UserFactory(roles=[role]))
    assert client.post(f"/saml/require/{supervisor.id}", data={"required": "y"}).status_code == 403


def test_single_logout_sends_the_person_to_their_university(client, saml):
    _linked_user()
    location = _start(client)
    client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    page = client.post("/saml/logout")
    assert page.status_code == 200
    assert f"{saml_idp.IDP}/slo?SAMLRequest=".encode() in page.data
    assert client.get("/account/settings").status_code == 302


@pytest.mark.parametrize("who", ["idp", "unsigned", "impostor"])
def test_the_university_signs_the_person_out_with_a_signed_request_only(client, saml, who):
    _linked_user()
    location = _start(client)
    client.post("/saml/acs", data={"SAMLResponse": saml.idp.answer(location, ATTRIBUTES)})
    with client.session_transaction() as session:
        name_id = session[flow.SIGNED_IN]["name_id"]
    sender = saml.impostor if who == "impostor" else saml.idp
    request = sender.logout_request(SLS, "http://portal.test/saml/metadata", name_id, signed=who != "unsigned")
    response = client.get(request.removeprefix("http://portal.test"))
    if who == "idp":
        assert response.status_code == 302
        assert response.headers["Location"].startswith(f"{saml_idp.IDP}/slo?SAMLResponse=")
        assert client.get("/account/settings").status_code == 302
    else:
        assert response.status_code == 400
        assert b"sign-out request of your university is not signed correctly" in response.data
        assert client.get("/account/settings").status_code == 200


def test_the_daily_job_forgets_only_expired_assertion_ids(app, app_context):
    import datetime as dt

    from portal.core.timeutil import utcnow
    from portal.daily import run_daily

    now = utcnow()
    db.session.add_all(
        [
            UsedAssertion(issuer=saml_idp.IDP, assertion_id="old", expires_at=now - dt.timedelta(minutes=1)),
            UsedAssertion(issuer=saml_idp.IDP, assertion_id="live", expires_at=now + dt.timedelta(minutes=5)),
        ]
    )
    db.session.flush()
    results = {result.step: result.message for result in run_daily(now)}
    assert results["saml"] == "expired SAML assertion IDs forgotten: 1"
    assert db.session.scalars(select(UsedAssertion.assertion_id)).all() == ["live"]


def test_federation_metadata_is_read_from_its_url(client, saml, keys, monkeypatch, app):
    import threading
    from pathlib import Path

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    body = Path(saml.federation_path).read_bytes()
    metadata = Response(body, mimetype="application/xml")
    server = make_server("127.0.0.1", 0, lambda environ, start: metadata(environ, start))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/federation.xml"
        monkeypatch.setitem(app.config, "SAML_FEDERATIONS", saml_idp.federation_setting(url, keys[1]["federation"][1]))
        federation._cache.clear()
        assert _start(client).startswith(f"{saml_idp.IDP}/sso?")
    finally:
        server.shutdown()
        server.server_close()


def test_a_person_removes_the_link_to_their_university_account_but_not_anyone_elses(client, saml):
    owner = _linked_user()
    other = UserFactory(roles=[Role.SUPERVISOR])
    db.session.commit()
    link_id = db.session.scalars(select(SamlIdentity.id)).one()
    sign_in(client, other)
    client.post(f"/saml/account/{link_id}/unlink")
    assert db.session.scalars(select(SamlIdentity.user_id)).all() == [owner.id]
    client.post("/account/logout")
    sign_in(client, owner)
    assert b"Clausthal University of Technology" in client.get("/saml/account").data
    client.post(f"/saml/account/{link_id}/unlink")
    assert db.session.scalars(select(SamlIdentity)).all() == []


def test_the_requirement_page_is_for_staff_accounts_only(client, saml):
    staff, applicant = _linked_user(), UserFactory(roles=[Role.APPLICANT])
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get(f"/saml/require/{staff.id}")
    assert page.status_code == 200
    assert b"Linked university accounts: 1" in page.data
    assert client.get(f"/saml/require/{applicant.id}").status_code == 404
