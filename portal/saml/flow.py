"""The steps of a SAML sign-in around the services: the request sent to the identity provider (remembered in this
browser's session), the checked answer, and what follows a sign-in (the second factor, where there is one)."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from flask import redirect, session, url_for
from flask_babel import lazy_gettext as _l
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.s_utils import status_message_factory, success_status_factory
from saml2.samlp import STATUS_UNKNOWN_PRINCIPAL, response_from_string
from saml2.sigver import MissingKey, SignatureError, verify_redirect_signature
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import SIG_RSA_SHA256

from portal.accounts.models import User
from portal.accounts.session import begin_second_step, end_session, start_session
from portal.core import security_events
from portal.core.rules import RuleViolation
from portal.saml import federation, services, sp
from portal.supervisors.services import list_universities

log = logging.getLogger(__name__)

PENDING = "saml_pending"
# Kept after a SAML sign-in, for the single logout at the identity provider.
SIGNED_IN = "saml_signed_in"
SIGN_IN, LINK = "sign_in", "link"


class SamlRefused(RuleViolation):
    """An answer of an identity provider that is not accepted."""


@dataclass(frozen=True)
class Pending:
    """The request this browser sent to an identity provider."""

    request_id: str
    idp: str
    purpose: str
    user_id: int | None


def start(idp: str, purpose: str, user_id: int | None = None) -> str:
    """Send the browser to the identity provider with a signed request; remember the request for its answer."""
    saml_client = sp.client()
    if idp not in set(saml_client.metadata.identity_providers()):
        raise SamlRefused(_l("This university is not known to the portal. Please choose it from the list."))
    request_id, location = sp.authn_request(saml_client, idp)
    session[PENDING] = {"id": request_id, "idp": idp, "purpose": purpose, "user": user_id}
    return location


def has_pending() -> bool:
    """Whether this browser's session holds a request sent to an identity provider."""
    return isinstance(session.get(PENDING), dict)


def _refusal_message(error: Exception) -> str:
    if isinstance(error, ResponseLifetimeExceed | ToEarly):
        return str(_l("The answer of your university has expired. Please sign in again."))
    if isinstance(error, IncorrectlySigned | SignatureError | MissingKey):
        return str(_l("The answer of your university is not signed correctly."))
    if isinstance(error, UnsolicitedResponse):
        return str(_l("This answer does not belong to a sign-in started here. Please sign in again."))
    if isinstance(error, StatusError):
        return str(_l("Your university did not confirm the sign-in."))
    return str(_l("The answer of your university cannot be accepted."))


def _issuer(encoded: str) -> str | None:
    """The issuer an answer claims (checked against the metadata before anything else is read)."""
    try:
        message = response_from_string(base64.b64decode(encoded))
    except Exception:  # not base64, not XML, not a SAML response: no issuer
        return None
    return message.issuer.text.strip() if message is not None and message.issuer is not None else None


def receive(encoded: str) -> tuple[Pending, sp.Identity]:
    """The pending request and the identity of the identity provider's answer, after every check; refused otherwise."""
    stored = session.pop(PENDING, None)
    if not isinstance(stored, dict) or not encoded:
        raise SamlRefused(_l("This answer does not belong to a sign-in started here. Please sign in again."))
    pending = Pending(stored["id"], stored["idp"], stored["purpose"], stored.get("user"))
    saml_client = sp.client()
    if _issuer(encoded) not in set(saml_client.metadata.identity_providers()):
        security_events.note("saml.refused")
        raise SamlRefused(_l("The identity provider of this answer is not known to the portal."))
    try:
        response = saml_client.parse_authn_request_response(
            encoded, BINDING_HTTP_POST, outstanding={pending.request_id: "/"}
        )
    except Exception as error:  # pysaml2 raises many kinds, plain Exception among them: each is a refusal
        log.info("SAML answer refused: %s: %s", type(error).__name__, error)
        security_events.note("saml.refused")
        raise SamlRefused(_refusal_message(error)) from error
    if response is None or response.issuer() != pending.idp:
        security_events.note("saml.refused")
        raise SamlRefused(_l("The answer of your university cannot be accepted."))
    identity = sp.identity_of(response)
    if identity is None:
        raise SamlRefused(_l("Your university did not tell the portal who you are. Please ask its IT service."))
    return pending, identity


def signed_in(user: User, identity: sp.Identity):
    """Start the session (after the second factor, where the account has one) and go to the dashboard."""
    if user.has_second_factor:
        begin_second_step(user, remember=False, next_path=None)
        return redirect(url_for("accounts.login_code"))
    start_session(user, remember=False, second_factor=False)
    session[SIGNED_IN] = {"idp": identity.issuer, "name_id": identity.name_id, "index": identity.session_index}
    if user.requires_second_factor:
        return redirect(url_for("accounts.two_factor"))
    return redirect(url_for("main.dashboard"))


def linked_with_names(user: User, language: str) -> list[tuple[object, str]]:
    """The user's linked identities, each with its identity provider's name (its university's, for the nine)."""
    store = sp.client().metadata
    universities = federation.university_idps()
    names = {universities[u.code]: u.name for u in list_universities() if u.code in universities}
    return [
        (entry, names.get(entry.issuer) or federation.display_name(store, entry.issuer, language))
        for entry in services.identities(user)
    ]


def discovery(query: str, language: str) -> dict[str, object]:
    """What the discovery page lists: the nine universities' identity providers, and the others matching the query."""
    store = sp.client().metadata
    known = set(store.identity_providers())
    universities = federation.university_idps()
    listed = [(u, universities[u.code]) for u in list_universities() if universities.get(u.code) in known]
    others: list[federation.IdentityProvider] = []
    if query:
        needle = query.casefold()
        others = [p for p in federation.identity_providers(store, language) if needle in p.name.casefold()][:50]
    return {"universities": listed, "others": others, "query": query}


def idp_logout_location(signed_in: object) -> str | None:
    """Where this browser signs out at its identity provider, if it signed in through one that offers single logout."""
    if not isinstance(signed_in, dict) or not signed_in.get("idp"):
        return None
    try:
        return sp.logout_location(sp.client(), signed_in["idp"], signed_in.get("name_id", ""), signed_in.get("index"))
    except Exception as error:  # the local sign-out happened; only the identity provider's is skipped
        log.warning("no single logout at %s: %s", signed_in.get("idp"), error)
        return None


def _logout_request(saml_client, args):
    """The identity provider's LogoutRequest, if its redirect signature is one of its metadata's signing keys."""
    refused = SamlRefused(_l("The sign-out request of your university is not signed correctly."))
    if not args.get("Signature") or not args.get("SigAlg"):
        raise refused
    try:
        request = saml_client.parse_logout_request(args["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        signed = {key: args[key] for key in ("SAMLRequest", "RelayState", "SigAlg", "Signature") if key in args}
        certs = saml_client.metadata.certs(request.issuer.text, "idpsso", "signing")
        backend = saml_client.sec.sec_backend
        if not any(verify_redirect_signature(signed, backend, cert) for _name, cert in certs):
            raise refused
    except Exception as error:  # pysaml2's many kinds, and an unknown issuer: each a refusal
        log.info("SAML logout request refused: %s: %s", type(error).__name__, error)
        raise refused from error
    return request


def answer_idp_logout(args) -> str:
    """An identity provider's signed request to sign a person out: this browser's session ends if it is that person's
    session from that identity provider; the address of the answer to send the browser back with."""
    saml_client = sp.client()
    request = _logout_request(saml_client, args)
    signed_in = session.get(SIGNED_IN)
    ours = (
        isinstance(signed_in, dict)
        and request.issuer.text == signed_in.get("idp")
        and request.name_id is not None
        and request.name_id.text == signed_in.get("name_id")
    )
    if ours:
        end_session("saml_logout")
    status = success_status_factory() if ours else status_message_factory("Unknown person", STATUS_UNKNOWN_PRINCIPAL)
    response = saml_client.create_logout_response(request, [BINDING_HTTP_REDIRECT], status=status, sign=False)
    info = saml_client.apply_binding(
        BINDING_HTTP_REDIRECT, str(response), response.destination, args.get("RelayState", ""), response=True,
        sign=True, sigalg=SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]
