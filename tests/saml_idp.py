"""A real SAML identity provider for the tests (pysaml2's Server), its keys made at test time, and a federation
whose metadata (this IdP and one more institution) is signed with the federation's own key, as DFN-AAI and CARSI do."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, class_name
from saml2.config import Config, IdPConfig
from saml2.metadata import entities_descriptor, entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import pre_signature_part, security_context
from saml2.xmldsig import SIG_RSA_SHA256

IDP = "https://idp.tu-clausthal.test/idp/shibboleth"
OTHER_IDP = "https://idp.example-institute.test/idp/shibboleth"
UNKNOWN_IDP = "https://idp.not-in-any-federation.test/idp/shibboleth"
PASSWORD_AUTHN = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}


def key_pair(directory: Path, name: str) -> tuple[str, str]:
    """A fresh RSA key and its self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


def idp_config(entity_id: str, key: tuple[str, str], sp_metadata: str, *, address: str | None = None) -> IdPConfig:
    """pysaml2's configuration of one identity provider that knows the portal from its metadata (address: where it
    receives requests, if not at its entity ID)."""
    address = address or entity_id
    config = IdPConfig()
    config.load(
        {
            "entityid": entity_id,
            "key_file": key[0],
            "cert_file": key[1],
            "xmlsec_binary": shutil.which("xmlsec1"),
            "organization": {
                "name": [("Technische Universität Clausthal", "de"), ("Clausthal University of Technology", "en")],
                "display_name": [("TU Clausthal", "de"), ("Clausthal University of Technology", "en")],
                "url": [("https://www.tu-clausthal.test", "en")],
            },
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{address}/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{address}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                }
            },
            "metadata": {"inline": [sp_metadata]},
        }
    )
    return config


def other_institution(entity_id: str, key: tuple[str, str], sp_metadata: str):
    """The metadata of another member of the federation (found by the discovery page's search)."""
    config = idp_config(entity_id, key, sp_metadata)
    config.organization = {
        "name": [("Example Institute of Hydrogen Research", "en")],
        "display_name": [("Example Institute of Hydrogen Research", "en")],
        "url": [("https://example-institute.test", "en")],
    }
    return entity_descriptor(config)


def signed_federation(directory: Path, descriptors: list, federation_key: tuple[str, str]) -> str:
    """Write federation metadata signed with the federation's key; its path."""
    signer = Config()
    key_file, cert_file = federation_key
    signer.load({"key_file": key_file, "cert_file": cert_file, "xmlsec_binary": shutil.which("xmlsec1")})
    _entities, xml = entities_descriptor(descriptors, 24, "test-federation", None, True, security_context(signer))
    path = directory / "federation.xml"
    path.write_text(xml, encoding="utf-8")
    return str(path)


class IdentityProvider:
    """pysaml2's IdP answering the portal's requests with signed assertions, in the ways a test asks for."""

    def __init__(self, config: IdPConfig) -> None:
        self.server = Server(config=config)

    def answer(self, location: str, attributes: dict, *, signed: bool = True, rewrite=None) -> str:
        """The base64 SAMLResponse to the request in the redirect location (as the browser would post it back);
        rewrite changes the assertion's XML before the identity provider signs it (an expiry, an audience)."""
        request = parse_qs(urlparse(location).query)["SAMLRequest"][0]
        authn_request = self.server.parse_authn_request(request, BINDING_HTTP_REDIRECT).message
        arguments = self.server.response_args(authn_request, [BINDING_HTTP_POST])
        response = str(
            self.server.create_authn_response(
                identity=attributes,
                userid="alice",
                authn=PASSWORD_AUTHN,
                sign_assertion=signed and rewrite is None,
                sign_response=False,
                **{k: arguments[k] for k in ("in_response_to", "destination", "sp_entity_id", "name_id_policy")},
            )
        )
        if rewrite is not None:
            response = self._signed(rewrite(response))
        return base64.b64encode(response.encode("utf-8")).decode("ascii")

    def logout_request(self, destination: str, sp_entity_id: str, name_id: str, *, signed: bool = True) -> str:
        """The address (with a SAMLRequest) that signs the person out of the portal, as the IdP would redirect to."""
        _request_id, request = self.server.create_logout_request(
            destination, sp_entity_id, name_id=NameID(text=name_id, format=NAMEID_FORMAT_TRANSIENT), sign=False
        )
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination, sign=signed, sigalg=SIG_RSA_SHA256 if signed else None
        )
        return dict(info["headers"])["Location"]

    def _signed(self, xml: str) -> str:
        message = response_from_string(xml)
        assertion = message.assertion[0] if isinstance(message.assertion, list) else message.assertion
        assertion.signature = pre_signature_part(assertion.id, self.server.sec.my_cert, 1)
        return self.server.sec.sign_statement(str(message), class_name(assertion), node_id=assertion.id)


def shifted_times(minutes: int):
    """A rewrite that moves every time in the assertion by minutes (negative: an assertion issued long ago)."""

    def rewrite(xml: str) -> str:
        def shift(match: re.Match) -> str:
            moment = dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(minutes=minutes)
            return f'="{moment:%Y-%m-%dT%H:%M:%SZ}"'

        return re.sub(r'="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"', shift, xml)

    return rewrite


def audience(entity_id: str):
    """A rewrite that addresses the assertion to another service provider."""
    return lambda xml: re.sub(r"(<(?:\w+:)?Audience>)[^<]*(<)", lambda m: f"{m.group(1)}{entity_id}{m.group(2)}", xml)


def federation_setting(path: str, certificate: str) -> str:
    """The SAML_FEDERATIONS value naming this federation."""
    return json.dumps({"test-federation": {"metadata": path, "certificate": certificate}})
