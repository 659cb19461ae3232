"""为您推荐: the open needs that fit one organisation best, with the reasons in words.

The candidates are read in index order: for each category the organisation helps with, each place
(its streets, its districts, the city) and urgent or not, the longest-waiting open needs
(`PER_BUCKET` of them; `ix_needs_match_street`, `ix_needs_match_district`, `ix_needs_browse_category`).
An organisation of more than `FEW_CATEGORIES` categories reads each (place, urgent) once instead,
the `PER_PLACE` longest-waiting needs of any of its categories (`ix_needs_browse_street`,
`ix_needs_browse_district`, `ix_needs_browse`): 17 categories × 4 places × 2 made 136 reads, now 8.
The fit score (fit.py) then ranks these few hundred rows, so one organisation's list costs the same
at a thousand open needs as at a million (docs/BENCHMARKS.md). A need it said is not for it, one
waiting for another organisation's answer to an offer, and one past its claim deadline are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from marketplace import clock, taxonomy
from marketplace.accounts.models import Role, User
from marketplace.audit import service as audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.matching import fit
from marketplace.matching.models import NeedDismissal
from marketplace.needs.models import Need, NeedStatus
from marketplace.notifications import service as notices
from marketplace.organisations.models import Organisation, OrgStatus

PER_BUCKET = 25
FEW_CATEGORIES = 4
PER_PLACE = 60
SHOWN = 20
# A need fits well enough for the daily digest when it matches a category and a place of the
# organisation (40 + 20 at least).
DIGEST_MIN_SCORE = fit.CATEGORY + fit.DISTRICT


class MatchError(DomainError):
    """A recommendation or offer step that is not allowed; the message says why."""


@dataclass(frozen=True)
class Recommendation:
    """One recommended need, its score and why, in words."""

    need: Need
    score: int
    reasons: list[str]

    @property
    def reason_text(self) -> str:
        """The reasons as one line: 康复护理 · 同街道 · 已等待9天."""
        return " · ".join(self.reasons)


BUCKET_SQL = (
    "SELECT id FROM (SELECT n.id FROM needs n WHERE n.status = 'published' AND n.claimed_by_id IS NULL"
    " AND n.claim_deadline >= :today AND {place} AND {category} AND n.is_urgent = :u{i}{since}"
    " AND NOT EXISTS (SELECT 1 FROM need_dismissals d WHERE d.organisation_id = :org AND d.need_id = n.id)"
    " AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.need_id = n.id AND o.status = 'requested')"
    " ORDER BY n.published_at, n.id LIMIT {limit}) b{i}"
)


def candidates(p: fit.Profile, today: Any, since: datetime | None = None) -> Any:
    """The ids of the candidates: a union of small index-ordered reads (see the module's text); with
    `since`, of the needs published since then only (the digest's new needs).

    Written as SQL text: the statement unites up to a few hundred small reads, and building it as
    expressions cost SQLAlchemy more time to compile (50-500 ms, measured) than the database takes to
    run it (docs/BENCHMARKS.md). Every value is a bound parameter; the SQL is the same on both databases.
    """
    categories = sorted(p.categories) or sorted(taxonomy.NEED_CATEGORIES)
    params: dict[str, Any] = {"today": today, "org": p.organisation_id, "per_bucket": PER_BUCKET,
                              "per_place": PER_PLACE, "since": since}
    # Many categories: one read per (place, urgent) over all of them, rather than one per category.
    wide = len(categories) > FEW_CATEGORIES
    if wide:
        params["categories"] = categories
    # (a bindparam without a type takes its value's)
    places = ["1 = 1"]
    for n, code in enumerate(sorted(p.streets)):
        places.append(f"n.street_code = :s{n}")
        params[f"s{n}"] = code
    for n, code in enumerate(sorted(p.districts)):
        places.append(f"n.district_code = :d{n}")
        params[f"d{n}"] = code
    parts = []
    since_sql = " AND n.published_at >= :since" if since is not None else ""
    for place in places:
        for category in ([None] if wide else categories):
            for urgent in (True, False):
                i = len(parts)
                params[f"u{i}"] = urgent
                if category is None:
                    parts.append(BUCKET_SQL.format(place=place, i=i, since=since_sql, limit=":per_place",
                                                   category="n.category IN :categories"))
                else:
                    params[f"c{i}"] = category
                    parts.append(BUCKET_SQL.format(place=place, i=i, since=since_sql, limit=":per_bucket",
                                                   category=f"n.category = :c{i}"))
    types = {"today": sa.Date(), "since": Need.published_at.type}
    binds = [sa.bindparam(name, value, expanding=name == "categories",
                          type_=types.get(name, sa.Boolean() if name.startswith("u") else None))
             for name, value in params.items()
             if (name != "since" or since is not None) and (name != "per_place" or wide)
             and (name != "per_bucket" or not wide)]
    return sa.text(" UNION ".join(parts)).bindparams(*binds).columns(id=sa.Integer)


def ranked(org: Organisation, now: datetime, *, limit: int = SHOWN,
           published_since: datetime | None = None) -> list[tuple[Need, int]]:
    """The best-fitting open needs for the organisation, best first, with their scores."""
    p = fit.profile(org, now)
    score = fit.score(fit.for_organisation(p), now).label("score")
    ids = candidates(p, clock.local(now).date(), published_since).subquery()
    query = (sa.select(Need, score).where(Need.id.in_(sa.select(ids.c.id)))
             .order_by(sa.desc("score"), Need.published_at, Need.id).limit(limit))
    return [(need, int(points)) for need, points in db.session.execute(query).all()]


def reasons(need: Need, p: fit.Profile, now: datetime) -> list[str]:
    """Why the need fits, in the reader's language, most telling first."""
    words: list[str] = []
    if need.category in p.categories:
        words.append(str(taxonomy.NEED_CATEGORIES.get(need.category, need.category)))
    if need.street_code and need.street_code in p.streets:
        words.append(_("same street"))
    elif need.district_code in p.districts:
        words.append(_("same district"))
    if need.is_urgent:
        words.append(_("urgent"))
    if need.light == "red":
        words.append(_("red light"))
    if need.published_at is not None:
        days = (now - need.published_at).days
        if days >= 1:
            words.append(ngettext("waiting %(num)d day", "waiting %(num)d days", days))
    low, high = p.value_min_fen, p.value_max_fen
    if (low is not None or high is not None) and (low is None or need.value_fen >= low) \
            and (high is None or need.value_fen <= high):
        words.append(_("within your usual value"))
    return words


def for_organisation(org: Organisation, now: datetime, *, limit: int = SHOWN) -> list[Recommendation]:
    """The organisation's recommendations with their reasons (empty until it is approved)."""
    if org.status != OrgStatus.APPROVED:
        return []
    p = fit.profile(org, now)
    return [Recommendation(need, points, reasons(need, p, now)) for need, points in ranked(org, now, limit=limit)]


def dismiss(need: Need, *, actor: User) -> None:
    """"Not for us": the need leaves the actor's organisation's recommendations (once; again is a no-op)."""
    if actor.role != Role.ORG_MEMBER or actor.organisation is None:
        raise PermissionError("only organisation members dismiss recommendations")
    if need.status not in (NeedStatus.PUBLISHED, NeedStatus.EXPIRED):
        raise MatchError(_l("this need is no longer open"))
    org_id = actor.organisation.id
    if db.session.get(NeedDismissal, (org_id, need.id)) is not None:
        return
    db.session.add(NeedDismissal(organisation_id=org_id, need_id=need.id, created_by_id=actor.id))
    db.session.flush()
    audit.record("match.dismiss", actor=actor, obj=need, region_code=need.region_code,
                 after={"organisation_id": org_id})


def is_dismissed(need_id: int, org_id: int) -> bool:
    """Whether the organisation said this need is not for it."""
    return db.session.get(NeedDismissal, (org_id, need_id)) is not None


def send_digest(now: datetime) -> dict[str, int]:
    """The daily list of new needs that fit: one notice per approved organisation with a profile
    that has new needs of the past day fitting it well (score ≥ DIGEST_MIN_SCORE), for its members.

    Run by the daily `match_digest` job; a reader who chose "daily digest" for the kind (its
    default) gets it in the morning's digest email (notifications/mail.py)."""
    since = now - timedelta(days=1)
    orgs = db.session.scalars(
        sa.select(Organisation).where(Organisation.status == OrgStatus.APPROVED,
                                      Organisation.category_rows.any())
        .order_by(Organisation.id)).all()
    notified = organisations = 0
    for org in orgs:
        fitting = [(need, points) for need, points in ranked(org, now, limit=SHOWN, published_since=since)
                   if points >= DIGEST_MIN_SCORE]
        if not fitting:
            continue
        titles = "、".join(need.title for need, _points in fitting[:3])
        notified += notices.notify_organisation(org.id, "needs_recommended", "organisations", org.id,
                                                {"count": len(fitting), "titles": titles})
        organisations += 1
    return {"organisations": organisations, "notices": notified}
