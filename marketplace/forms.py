"""Form pieces shared by several features."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.extensions import db
from marketplace.regions.models import DISTRICT, Region


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def region_choices(*, include_districts: bool = True) -> dict[str, list[tuple[str, str]]]:
    """Regions grouped by district for a <select> with optgroups."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.code)).all()
    groups: dict[str, list[tuple[str, str]]] = {}
    names = {r.code: r.name for r in regions if r.level == DISTRICT}
    for region in regions:
        if region.level == DISTRICT:
            group = groups.setdefault(region.name, [])
            if include_districts:
                group.insert(0, (region.code, _("%(name)s (whole district)", name=region.name)))
        else:
            groups.setdefault(names.get(region.parent_code or "", ""), []).append((region.code, region.name))
    return groups
