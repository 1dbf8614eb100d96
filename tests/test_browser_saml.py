"""In a real browser: a supervisor links their university account after a password sign-in, then signs in with it
through a pysaml2 identity provider served on another site (the session cookie, SameSite=Lax, stays behind on its
cross-site POST: the portal posts the answer once more itself), and signs out at the university too; an administrator
views the portal as that supervisor, with the banner. Screenshots at 1280 and 390 pixels go to tests/artifacts/."""

from __future__ import annotations

import html
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from portal import db
from portal.core.roles import Role
from portal.saml import federation
from tests import saml_idp
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, UserFactory
from tests.fixtures_browser import save_screenshots

pytestmark = pytest.mark.browser
ATTRIBUTES = {"eduPersonPrincipalName": ["sam@tu-clausthal.test"], "displayName": ["Sam Supervisor"]}


class IdPServer:
    """The identity provider as a web site on "localhost" (another site than the portal's 127.0.0.1): it signs the
    person in at once and posts its signed answer back with a button, as a real one does after its login form."""

    def __init__(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}/idp"
        self.provider: saml_idp.IdentityProvider | None = None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path.endswith("/slo"):
            return Response("Signed out at the university.")(environ, start_response)
        answer = self.provider.answer(request.url, ATTRIBUTES)
        acs = html.escape(self.provider.server.config.metadata.assertion_consumer_service(
            next(iter(self.provider.server.config.metadata.service_providers())))[0]["location"])
        body = (
            f'<form method="post" action="{acs}"><input type="hidden" name="SAMLResponse" value="{answer}">'
            '<button type="submit">Continue to the portal</button></form>'
        )
        return Response(body, mimetype="text/html")(environ, start_response)


@pytest.fixture
def university(app, live_server, monkeypatch, tmp_path):
    pairs = {name: saml_idp.key_pair(tmp_path, name) for name in ("sp", "idp", "federation")}
    monkeypatch.setitem(app.config, "SAML_SP_KEY_FILE", pairs["sp"][0])
    monkeypatch.setitem(app.config, "SAML_SP_CERT_FILE", pairs["sp"][1])
    idp = IdPServer()
    monkeypatch.setitem(app.config, "SAML_UNIVERSITY_IDPS", {"TUC": idp.url})
    with app.test_request_context():
        from portal.saml import sp

        sp_metadata = sp.metadata_xml()
    config = saml_idp.idp_config(idp.url, pairs["idp"], sp_metadata)
    path = saml_idp.signed_federation(tmp_path, [saml_idp.entity_descriptor(config)], pairs["federation"])
    monkeypatch.setitem(app.config, "SAML_FEDERATIONS", saml_idp.federation_setting(path, pairs["federation"][1]))
    federation._cache.clear()
    idp.provider = saml_idp.IdentityProvider(config)
    idp.thread.start()
    yield idp
    idp.server.shutdown()
    idp.server.server_close()
    federation._cache.clear()


@pytest.fixture
def saml_page(browser, live_server, university):
    """A page that may visit the portal and the identity provider, and nothing else."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    foreign: list[str] = []

    def guard(route):
        if route.request.url.startswith((live_server.url, "http://localhost:")):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert foreign == []


def test_link_then_sign_in_and_out_with_the_university(app, saml_page):
    page = saml_page
    with app.app_context():
        supervisor = UserFactory(email="sam@example.org", name="Sam Supervisor", roles=[Role.SUPERVISOR])
        db.session.commit()
    sign_in_in_browser(page, app, "sam@example.org", PASSWORD)
    page.goto("/saml/account")
    page.get_by_role("link", name="Clausthal University of Technology").click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url("**/saml/account")
    expect(page.locator(".alert-success")).to_contain_text("Your university account is linked")
    expect(page.locator("main .list-group").first).to_contain_text("Clausthal University of Technology")
    save_screenshots(page, "saml-linked")

    page.locator("header form button[type=submit]", has_text="Sign out").click()
    page.goto("/account/login")
    page.get_by_role("link", name="Sign in with your university").click()
    save_screenshots(page, "saml-discovery")
    page.get_by_role("link", name="Clausthal University of Technology").click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("header")).to_contain_text("Sam Supervisor")

    page.locator("header form button[type=submit]", has_text="Sign out").click()
    expect(page.get_by_role("link", name="Sign out at your university too")).to_be_visible()
    save_screenshots(page, "saml-signed-out")
    assert supervisor.id


def test_an_admin_views_the_portal_as_a_supervisor(app, page):
    with app.app_context():
        UserFactory(email="sam@example.org", name="Sam Supervisor", roles=[Role.SUPERVISOR])
        admin = UserFactory(email="ada@example.org", name="Ada Admin", roles=[Role.ADMIN])
        db.session.commit()
        secret = enrol_second_factor(app, admin)
    sign_in_in_browser(page, app, "ada@example.org", PASSWORD, secret=secret)
    page.goto("/view-as")
    page.locator("main input[name=email]").fill("sam@example.org")
    page.locator("main form [type=submit]").click()
    banner = page.locator(".view-as-banner")
    expect(banner).to_contain_text("You are viewing the portal as Sam Supervisor")
    save_screenshots(page, "view-as-banner")
    page.goto("/account/settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("main")).to_contain_text("nothing can be changed, saved or sent")
    save_screenshots(page, "view-as-refused")
    banner_end = page.get_by_role("button", name="End viewing as")
    banner_end.first.click()
    expect(page.locator(".view-as-banner")).to_have_count(0)
    expect(page.locator("header")).to_contain_text("Ada Admin")
