"""`flask simulate --mode match|pull --days 90 --seed N [--json] [--database URL]`.

The command runs many units of work of its own, on a scratch app and database: the app it is
started in is never written to.
"""

from __future__ import annotations

import json
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app

from marketplace.simulation.model import ORGANISATIONS, REFERRALS_PER_DAY
from marketplace.simulation.run import Settings, SimulationError, simulate
from marketplace.simulation.strategies import STRATEGIES
from marketplace.unit_of_work import command_blueprint

bp = command_blueprint("simulation_cli", __name__, None)  # no group: the command is `flask simulate`


def _scratch_url(url: str | None) -> str:
    """A database URL the simulation may fill: well formed, and never the app's own database."""
    if not url:
        return ""
    try:
        given = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise click.BadParameter(f"not a database URL: {url}", param_hint="--database") from exc
    own = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if given.render_as_string(hide_password=False) == own.render_as_string(hide_password=False):
        raise click.BadParameter("this is the app's own database: give an empty scratch database",
                                 param_hint="--database")
    return url


@bp.cli.command("simulate", unit_of_work=False)
@click.option("--mode", type=click.Choice(sorted(STRATEGIES)), required=True,
              help="pull: organisations browse the newest needs; match: they take their recommendations.")
@click.option("--days", type=click.IntRange(1, 365), default=90, show_default=True, help="Simulated days.")
@click.option("--seed", type=int, default=1, show_default=True, help="The one random seed of the run.")
@click.option("--referrals-per-day", type=click.FloatRange(0.1, 50), default=REFERRALS_PER_DAY, show_default=True,
              help="Mean of the Poisson number of referrals a day.")
@click.option("--organisations", type=click.IntRange(1, 500), default=ORGANISATIONS, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--database", "database", default=None, metavar="URL",
              help="An EMPTY scratch database (default: a temporary SQLite file, removed afterwards).")
def simulate_command(mode: str, days: int, seed: int, referrals_per_day: float, organisations: int,
                     as_json: bool, database: str | None) -> None:
    """Simulate one district (越秀区) for DAYS days on a scratch database and report how needs close."""
    settings = Settings(mode=mode, days=days, seed=seed, referrals_per_day=referrals_per_day,
                        organisations=organisations, database_url=_scratch_url(database))
    try:
        result = simulate(settings)
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from exc
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot use the scratch database: {exc.orig}") from exc
    if as_json:
        click.echo(json.dumps(result, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(summary(result))


def _shown(value: Any, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %" if percent else f"{value}"


def summary(r: dict[str, Any]) -> str:
    """The run in a few readable lines."""
    return "\n".join([
        f"District simulation: mode {r['mode']}, seed {r['seed']}, {r['days']} days, "
        f"{r['organisations']} organisations, ~{r['referrals_per_day']} referrals a day",
        f"  referred                {r['referred']} ({r['needs']} needs; {r['cohort_needs']} referred in days 1–60)",
        f"  closure rate            {_shown(r['closure_rate'], True)} of the days 1–60 needs closed by the end",
        f"  days to close           median {_shown(r['median_days_to_close'])}, p90 {_shown(r['p90_days_to_close'])}",
        f"  days to claim           median {_shown(r['median_days_to_claim'])}, p90 {_shown(r['p90_days_to_claim'])}",
        f"  late claims lit red     {_shown(r['late_lit_red_within_one_tick'], True)} within one lights tick "
        f"({r['late_claims']} late)",
        f"  offers                  {r['offers_accepted']} accepted, {r['offers_declined']} declined",
        f"  claims                  {r['claims']} ({r['claims_refused']} refused), {r['replans']} re-planned",
        "  needs by status         " + ", ".join(f"{k} {v}" for k, v in r["needs_by_status"].items()),
    ])
