"""Why a need's light is what it is, in the reader's words: "waiting for a claim for 9 days".

A colour alone says little and its word can mislead: a wish waiting too long for a claim is red
although no date has passed. The reason names the clock the rule reads (lights/rules.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace import clock
from marketplace.needs.models import NeedStatus


def need_reason(need: Any, today: date | None = None) -> str | None:
    """The reason for an open need's light, None for a need without one."""
    today = today or clock.today()
    if need.light is None:
        return None
    if need.status == NeedStatus.PUBLISHED and need.published_at is not None:
        days = (today - clock.local(need.published_at).date()).days
        if days < 1:
            return _("published today, waiting for a claim")
        return ngettext("waiting for a claim for %(num)s day", "waiting for a claim for %(num)s days", days)
    if need.status == NeedStatus.CLAIMED and need.promised_by is not None:
        days = (need.promised_by - today).days
        if days < 0:
            return ngettext("%(num)s day past the promised date", "%(num)s days past the promised date", -days)
        if days == 0:
            return _("promised for today")
        return ngettext("promised in %(num)s day", "promised in %(num)s days", days)
    if need.status == NeedStatus.DELIVERED and need.delivered_at is not None:
        days = (today - clock.local(need.delivered_at).date()).days
        if days < 1:
            return _("delivered today, awaiting confirmation")
        return ngettext("awaiting confirmation for %(num)s day", "awaiting confirmation for %(num)s days", days)
    return None


def init_app(app: Flask) -> None:
    """`light_reason(need)` for the templates."""
    app.jinja_env.globals["light_reason"] = need_reason
