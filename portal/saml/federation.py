"""The identity providers the portal trusts: each federation's metadata (a file or URL), accepted only when signed by
the federation's certificate, kept in memory for SAML_METADATA_HOURS per process."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import current_app
from saml2.attribute_converter import ac_factory
from saml2.config import SPConfig
from saml2.mdstore import MetadataStore
from saml2.sigver import SignatureError, security_context

from portal.core.timeutil import utcnow

log = logging.getLogger(__name__)

ENTITIES_DESCRIPTOR = "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor"
FETCH_TIMEOUT = 60  # seconds; federation metadata is large (DFN-AAI's is tens of megabytes)

_cache: dict[str, tuple[dt.datetime, MetadataStore]] = {}
_lock = threading.Lock()


class FederationError(RuntimeError):
    """Federation metadata that cannot be used: unreadable, unsigned or wrongly signed."""


@dataclass(frozen=True)
class IdentityProvider:
    """An identity provider as the discovery page shows it."""

    entity_id: str
    name: str


def _json_setting(name: str) -> dict[str, Any]:
    value = current_app.config.get(name) or {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def federations() -> dict[str, dict[str, str]]:
    """The configured federations: name -> {"metadata": URL or file, "certificate": PEM file}."""
    return _json_setting("SAML_FEDERATIONS")


def university_idps() -> dict[str, str]:
    """University code -> the entity ID of its identity provider."""
    return {code.upper(): entity for code, entity in _json_setting("SAML_UNIVERSITY_IDPS").items()}


def _read(source: str) -> bytes:
    if source.startswith(("https://", "http://")):
        response = requests.get(source, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        return response.content
    return Path(source).read_bytes()


def verified_metadata(source: str, certificate: str, security) -> str:
    """The metadata at source, if its EntitiesDescriptor carries a valid signature of the federation's certificate."""
    text = _read(source).decode("utf-8")
    if "Signature" not in text:
        raise FederationError(f"federation metadata {source} is not signed")
    try:
        valid = security.verify_signature(text, cert_file=certificate, node_name=ENTITIES_DESCRIPTOR)
    except SignatureError as error:
        raise FederationError(f"federation metadata {source}: wrong signature ({error})") from error
    if not valid:
        raise FederationError(f"federation metadata {source}: wrong signature")
    return text


def _load_store(config: SPConfig) -> MetadataStore:
    store = MetadataStore(ac_factory(), config, check_validity=True)
    security = security_context(config)
    for name, federation in federations().items():
        try:
            text = verified_metadata(federation["metadata"], federation["certificate"], security)
            store.load("inline", text)
        except (OSError, KeyError, ValueError, requests.RequestException, FederationError) as error:
            # One broken federation must not stop the others' members from signing in.
            log.error("SAML federation %s not loaded: %s", name, error)
    return store


def metadata_store(config: SPConfig) -> MetadataStore:
    """The identity providers of every federation, loaded at most every SAML_METADATA_HOURS in this process."""
    key = json.dumps(federations(), sort_keys=True)
    lifetime = dt.timedelta(hours=float(current_app.config["SAML_METADATA_HOURS"]))
    with _lock:
        cached = _cache.get(key)
        if cached is None or utcnow() - cached[0] > lifetime:
            cached = (utcnow(), _load_store(config))
            _cache.clear()
            _cache[key] = cached
        return cached[1]


def display_name(store: MetadataStore, entity_id: str, language: str) -> str:
    """The identity provider's name in the language (its metadata's display name, else its organisation's)."""
    for lang in (language, "en"):
        names = list(store.mdui_uiinfo_display_name(entity_id, langpref=lang))
        if names:
            return str(names[0])
        organisation = store.name(entity_id, lang)
        if organisation:
            return str(organisation)
    return entity_id


def identity_providers(store: MetadataStore, language: str) -> list[IdentityProvider]:
    """Every identity provider of the loaded federations, sorted by name."""
    entities = store.identity_providers()
    providers = [IdentityProvider(entity, display_name(store, entity, language)) for entity in entities]
    return sorted(providers, key=lambda provider: provider.name.casefold())
