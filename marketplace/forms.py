"""Form pieces shared by several features."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.extensions import db
from marketplace.regions.models import DISTRICT, Region


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def region_choices(*, blank: str | None = None) -> list[SelectChoice]:
    """Regions grouped by district (one <optgroup> each), a district first as "whole district"."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.code)).all()
    names = {r.code: r.name for r in regions if r.level == DISTRICT}
    result = [SelectChoice("", blank)] if blank is not None else []
    for region in sorted(regions, key=lambda r: (r.parent_code or r.code, r.level != DISTRICT, r.code)):
        if region.level == DISTRICT:
            label = _("%(name)s (whole district)", name=region.name)
            result.append(SelectChoice(region.code, label, optgroup=region.name))
        else:
            result.append(SelectChoice(region.code, region.name, optgroup=names.get(region.parent_code or "")))
    return result
