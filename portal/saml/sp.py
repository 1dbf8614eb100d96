"""The portal as a SAML 2.0 service provider (pysaml2): its configuration, metadata, requests to identity providers and
the checked reading of their answers."""

from __future__ import annotations

import calendar
import shutil
from dataclasses import dataclass

from flask import current_app
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID
from saml2.time_util import str_to_time
from saml2.xmldsig import SIG_RSA_SHA256

from portal.saml import federation

SUBJECT_ID = "urn:oasis:names:tc:SAML:attribute:subject-id"
PAIRWISE_ID = "urn:oasis:names:tc:SAML:attribute:pairwise-id"
EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
# The attribute that identifies a person, best first, with the names pysaml2 may give them.
IDENTIFIERS = (
    ("subject-id", (SUBJECT_ID, "subject-id")),
    ("pairwise-id", (PAIRWISE_ID, "pairwise-id")),
    ("eppn", (EPPN, "eduPersonPrincipalName")),
)


@dataclass(frozen=True)
class Identity:
    """Who a checked assertion says signed in: the identity provider, the person's identifier, the assertion's ID."""

    issuer: str
    subject: str
    assertion_id: str
    not_on_or_after: int  # seconds since the epoch
    name_id: str
    session_index: str | None
    display_name: str


def enabled() -> bool:
    """Whether SAML sign-in is configured (the service provider's key pair and at least one federation)."""
    config = current_app.config
    return bool(config.get("SAML_SP_KEY_FILE") and config.get("SAML_SP_CERT_FILE") and federation.federations())


def _base_url() -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/")


def entity_id() -> str:
    """The portal's entity ID: the address of its metadata."""
    return f"{_base_url()}/saml/metadata"


def _settings() -> dict:
    base, key, cert = _base_url(), current_app.config["SAML_SP_KEY_FILE"], current_app.config["SAML_SP_CERT_FILE"]
    return {
        "entityid": entity_id(),
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
        "xmlsec_binary": shutil.which("xmlsec1"),
        "allow_unknown_attributes": True,
        "name": "Promotionskolleg",
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}/saml/acs", BINDING_HTTP_POST)],
                    "single_logout_service": [(f"{base}/saml/sls", BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "name_id_format": NAMEID_FORMAT_TRANSIENT,
                "requested_attributes": [{"name": name, "required": False} for name in (SUBJECT_ID, PAIRWISE_ID, EPPN)],
            }
        },
    }


def sp_config() -> SPConfig:
    """pysaml2's configuration of the portal, with the identity providers of the configured federations."""
    config = SPConfig()
    config.load(_settings())
    config.metadata = federation.metadata_store(config)
    return config


def client() -> Saml2Client:
    """A pysaml2 client for one request."""
    return Saml2Client(config=sp_config())


def metadata_xml() -> str:
    """The portal's service provider metadata (what federations register)."""
    config = SPConfig()
    config.load(_settings())
    return str(entity_descriptor(config))


def authn_request(saml_client: Saml2Client, idp: str) -> tuple[str, str]:
    """A signed authentication request for the identity provider: its ID and the address to send the browser to."""
    request_id, info = saml_client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT)
    location = dict(info["headers"])["Location"]
    return request_id, location


def _attribute(ava: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        values = ava.get(name)
        if values and str(values[0]).strip():
            return str(values[0]).strip()
    return None


def identity_of(response) -> Identity | None:
    """The identity a checked response carries (None: none of the identifying attributes was released)."""
    ava = response.ava or {}
    subject = None
    for kind, names in IDENTIFIERS:
        value = _attribute(ava, names)
        if value:
            subject = f"{kind}:{value}"
            break
    if subject is None:
        return None
    assertion = response.assertion
    conditions = assertion.conditions
    expiry = calendar.timegm(str_to_time(conditions.not_on_or_after)) if conditions.not_on_or_after else 0
    statements = assertion.authn_statement or []
    return Identity(
        issuer=response.issuer(),
        subject=subject,
        assertion_id=str(assertion.id),
        not_on_or_after=expiry,
        name_id=str(response.name_id.text) if response.name_id is not None else "",
        session_index=statements[0].session_index if statements else None,
        display_name=_attribute(ava, ("displayName", "cn", "givenName")) or "",
    )


def logout_location(saml_client: Saml2Client, idp: str, name_id: str, session_index: str | None) -> str | None:
    """Where to send the browser to sign out at the identity provider too (None: it offers no single logout)."""
    services = saml_client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    if not services:
        return None
    destination = services[0]["location"]
    _request_id, request = saml_client.create_logout_request(
        destination,
        idp,
        name_id=NameID(text=name_id, format=NAMEID_FORMAT_TRANSIENT),
        session_indexes=[session_index] if session_index else None,
        sign=False,  # the redirect binding signs the query string instead
    )
    info = saml_client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, sign=True, sigalg=SIG_RSA_SHA256)
    return dict(info["headers"])["Location"]
