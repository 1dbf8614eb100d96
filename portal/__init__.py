"""The portal of the Internationales Promotionskolleg: the application factory."""

from __future__ import annotations

import gc
import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import db
from portal.config import PROJECT_ROOT, check_config, load_config
from portal.core import errors, ids, jobs, security, security_events, templating
from portal.core.i18n import load_languages, select_locale, select_timezone
from portal.extensions import babel, csrf, limiter, login_manager


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application: configuration, extensions, database, blueprints, error pages, CLI."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    configure(app, config)
    init_extensions(app)
    security_events.init_app(app)  # before the database: its after-request hook runs after the request's commit
    init_database(app)
    ids.init_app(app)  # before the blueprints: their routes take the bounded `<int:...>`
    register_blueprints(app)
    register_permission_rules()
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    jobs.init_app(app)
    register_cli(app)
    load_languages(app)
    # What is built by now lives as long as the process; frozen, a full garbage collection no longer goes through its
    # ~450,000 objects (pypinyin's dictionary, CLDR data, modules): 200-300 ms of whichever request set it off.
    gc.freeze()
    return app


def configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Load settings from the environment, apply overrides and refuse unsafe production settings."""
    app.config.update(load_config())
    app.config.update(overrides or {})
    check_config(app.config)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)  # type: ignore[method-assign]
    if not app.debug:
        logging.basicConfig(level=logging.INFO)


def init_extensions(app: Flask) -> None:
    """Bind the extensions held in portal.extensions to this application."""
    from portal.accounts.session import init_login

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_login(app)


def init_database(app: Flask) -> None:
    """Load every model and bind the request-scoped session to the configured database."""
    from portal.models import import_all_models

    import_all_models()
    db.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount each domain's blueprint."""
    from portal.accounts.views import bp as accounts_bp
    from portal.api import resources as api_resources
    from portal.api.views import bp as api_pages_bp
    from portal.applications.views import bp as applications_bp
    from portal.auditlog.views import bp as auditlog_bp
    from portal.dashboard.views import bp as dashboard_bp
    from portal.interviews.views import bp as interviews_bp
    from portal.letters.views import bp as letters_bp
    from portal.main.views import bp as main_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.offers.views import bp as offers_bp
    from portal.people.views import bp as people_bp
    from portal.plans.views import bp as plans_bp
    from portal.privacy.views import bp as privacy_bp
    from portal.referees.views import bp as referees_bp
    from portal.reporting.views import bp as reporting_bp
    from portal.review.views import bp as review_bp
    from portal.review.views.supervise import bp as supervise_bp
    from portal.rounds.views import bp as rounds_bp
    from portal.saml.views import bp as saml_bp
    from portal.search.views import bp as search_bp
    from portal.supervisors.views import bp as supervisors_bp
    from portal.viewas.views import bp as viewas_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        supervisors_bp,
        applications_bp,
        referees_bp,
        supervise_bp,
        review_bp,
        rounds_bp,
        people_bp,
        reporting_bp,
        dashboard_bp,
        notifications_bp,
        auditlog_bp,
        privacy_bp,
        offers_bp,
        saml_bp,
        viewas_bp,
        plans_bp,
        letters_bp,
        interviews_bp,
        api_pages_bp,
        search_bp,
    ):
        app.register_blueprint(blueprint)
    api_resources.register(app)  # the REST API v1 (flask-smorest)


def register_permission_rules() -> None:
    """Rules one domain adds to another's permissions, registered here and nowhere else."""
    from portal.accounts.services import add_password_rule
    from portal.applications.capacity import add_place_given_up_rule
    from portal.applications.panels import add_status_panel
    from portal.applications.permissions import add_read_rule
    from portal.offers.services import offer_on_release, place_given_up
    from portal.offers.views import offer_panel
    from portal.review.decisions import add_release_hook
    from portal.review.permissions import can_review
    from portal.saml.services import password_refusal

    add_read_rule(can_review)  # the assigned committee reads the application and its documents
    add_place_given_up_rule(place_given_up)  # a declined or expired offer frees the supervisors' capacity
    add_release_hook(offer_on_release)  # a released admission offers the place
    add_status_panel(offer_panel)  # the applicant answers the offer on the status page
    add_password_rule(password_refusal)  # staff required to sign in with their university


def register_cli(app: Flask) -> None:
    """Add the `flask portal ...` commands."""
    from portal.cli import portal_cli

    app.cli.add_command(portal_cli)
