"""Shanlian (善联): the application factory."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from marketplace.config import engine_options, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app; no migrations, no scheduler, no network here."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: put it in the environment or .env (make run does)")
    app.config.setdefault("HASH_KEY", app.config["SECRET_KEY"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from marketplace.paging import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route: ids past the database's range are 404
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import format_datetime, format_timedelta

    import marketplace.models  # noqa: F401  (every model registered before migrations run)
    from marketplace import clock, money, state, storage, unit_of_work
    from marketplace.accounts import access, throttle
    from marketplace.db import render_migration_item
    from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate
    from marketplace.lights import live as live_lights
    from marketplace.needs import light_reasons
    from marketplace.search.index import in_models
    from marketplace.search.text import highlight
    from marketplace.web import register_web, select_locale

    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, compare_type=True, render_item=render_migration_item, include_name=in_models
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    throttle.init_app(app)
    register_web(app)
    unit_of_work.init_app(app)
    state.init_app(app)
    storage.init_app(app)
    access.init_app(app)
    live_lights.init_app(app)
    light_reasons.init_app(app)
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
    # How long ago, in the reader's words ("3 days", "3天"); whole units, never "0.9 weeks".
    app.jinja_env.filters["age"] = lambda value: (
        format_timedelta(clock.now() - value, granularity="minute", threshold=1.0) if value else ""
    )
    app.jinja_env.filters["yuan"] = money.show
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["jsonish"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.password_views import bp as passwords
    from marketplace.accounts.second_factor_views import bp as second_factor
    from marketplace.accounts.views import bp as auth
    from marketplace.admin.audit_views import bp as audit
    from marketplace.admin.office_views import bp as region_admin
    from marketplace.admin.storage_cli import bp as storage_cli
    from marketplace.admin.users_cli import bp as users_cli
    from marketplace.admin.views import bp as admin
    from marketplace.api.views import register as register_api
    from marketplace.dashboard.views import bp as dashboard
    from marketplace.demo.cli import bp as demo_cli
    from marketplace.donations.views import bp as donations
    from marketplace.households.cli import bp as households_cli
    from marketplace.households.import_views import bp as referral_import
    from marketplace.households.merge_views import bp as household_merge
    from marketplace.households.views import bp as referrals
    from marketplace.leaderboards.views import bp as leaderboards
    from marketplace.leads.views import bp as leads
    from marketplace.main.views import bp as main
    from marketplace.matching.views import bp as matching
    from marketplace.meals.cli import bp as meals_cli
    from marketplace.meals.company_views import bp as company_meals
    from marketplace.meals.outlet_views import bp as outlet
    from marketplace.meals.resident_views import bp as meals
    from marketplace.meals.staff_views import bp as staff_meals
    from marketplace.meals.staff_views import codes_bp as meal_codes
    from marketplace.needs.staff_views import bp as staff_needs
    from marketplace.needs.views import bp as needs
    from marketplace.notifications.views import bp as notifications
    from marketplace.organisations.views import bp as organisations
    from marketplace.projects.staff_views import bp as staff_projects
    from marketplace.projects.views import bp as projects
    from marketplace.regions.cli import bp as regions_cli
    from marketplace.scheduler.runner import bp as scheduler_cli
    from marketplace.settings.views import bp as settings
    from marketplace.simulation.cli import bp as simulation_cli
    from marketplace.staff.cli import bp as privacy_cli
    from marketplace.staff.views import bp as staff
    from marketplace.transfers.cli import bp as transfers_cli
    from marketplace.transfers.views import bp as transfers
    from marketplace.visits.followup_views import bp as followups
    from marketplace.visits.views import bp as visits

    blueprints = (main, auth, organisations, staff, admin, audit, settings, referrals, referral_import, staff_needs,
                  needs, notifications, leaderboards, dashboard, users_cli, regions_cli, demo_cli, scheduler_cli,
                  region_admin)
    blueprints += (projects, staff_projects, donations, privacy_cli)
    blueprints += (second_factor,)
    blueprints += (transfers, transfers_cli, leads)
    blueprints += (meals, outlet, company_meals, staff_meals, meal_codes, meals_cli)
    blueprints += (passwords,)
    blueprints += (storage_cli,)
    blueprints += (household_merge, households_cli)
    blueprints += (matching,)
    blueprints += (visits, followups)
    blueprints += (simulation_cli,)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_api(app)
