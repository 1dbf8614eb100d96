"""Imports every model module, so that the metadata is complete (for Alembic and the tests)."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each domain's models; the import registers their tables on portal.db.Base.metadata."""
    import portal.accounts.models
    import portal.api.models
    import portal.applications.models
    import portal.core.audit
    import portal.core.kept_posts
    import portal.core.outbox
    import portal.interviews.models
    import portal.letters.models
    import portal.offers.models
    import portal.plans.models
    import portal.reporting.models
    import portal.review.models
    import portal.saml.models
    import portal.supervisors.models  # noqa: F401
