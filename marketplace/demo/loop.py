"""The micro-wish loop in the demo: referrals from a mock assistance system, needs in every state.

Everything goes through the real domain functions (intake, triage, publish, claim, evidence, deliver,
confirm, cancel, expire), so the audit trail is complete. Afterwards only the need's own dates are
moved into the past (published over the last 30 days, delivered and closed after it) so the demo
looks lived-in whatever day it is loaded; the audit log keeps the true time of loading.

Idempotent: a household whose referral (source "demo-assistance-system") exists is skipped whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from marketplace import clock, storage
from marketplace.accounts.models import User
from marketplace.demo.homes_tianhe import HOMES as TIANHE
from marketplace.demo.homes_yuexiu import HOMES as YUEXIU
from marketplace.demo.photos import delivery_photo
from marketplace.demo.stories import Home, Wish
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.households import service as households
from marketplace.households.models import Referral
from marketplace.needs import transitions as t
from marketplace.needs.models import Claim, Evidence, Need
from marketplace.organisations.models import Organisation
from marketplace.regions.models import STREET, Region

SOURCE = "demo-assistance-system"
HOMES: tuple[Home, ...] = YUEXIU + TIANHE
DISTRICTS = ("440104", "440106")
# How many days ago needs left in each state were published: (fewest, most).
AGES = {"draft": (0, 0), "published": (1, 25), "claimed": (4, 20), "delivered": (9, 24), "closed": (12, 30),
        "cancelled": (5, 25), "expired": (16, 30)}
NOTES = ["物品已当面交付，并讲解了使用方法。", "服务已按约定完成，家属在场。", "已与社区社工一同上门，签收单已留存。"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class _Demo:
    today: date
    staff: dict[str, User]
    orgs: list[Organisation]
    ordinal: int = 0  # counts the needs made, to vary dates and claimants deterministically
    expired: bool = False


def load_loop(staff_by_district: dict[str, User], orgs: list[Organisation]) -> None:
    """Create the demo households, referrals and needs that are missing.

    `staff_by_district` maps region codes (districts, and streets whose own staff should act there)
    to staff users; `orgs` are the approved organisations whose members claim and deliver.
    """
    orgs = [org for org in orgs if org.is_approved and org.members]
    demo = _Demo(clock.today(), staff_by_district, orgs)
    for number, home in enumerate(HOMES):
        start = demo.ordinal
        if intake.find(SOURCE, referral_id(home)) is None:
            _household(demo, number, home)
        demo.ordinal = start + len(home.wishes)  # the same dates and claimants whatever was loaded before
    if demo.expired:
        t.expire_overdue(demo.today)
    t.settle_overdue_parts(demo.today)
    db.session.flush()


def referral_id(home: Home) -> str:
    """The external id of a demo household's referral."""
    return f"DEMO-{home.key}"


def _household(demo: _Demo, number: int, home: Home) -> None:
    street = db.session.scalar(sa.select(Region).where(
        Region.name == home.street, Region.level == STREET, Region.parent_code.in_(DISTRICTS)))
    if street is None:
        raise LookupError(f"street {home.street} is not loaded: run `flask regions import` first")
    staff = demo.staff.get(street.code) or demo.staff[street.parent_code]
    ages = [_age(w, demo.ordinal + i) for i, w in enumerate(home.wishes)]
    referred = clock.now() - timedelta(days=max(ages) + 2, hours=number % 7)
    referral = intake.receive(SOURCE, payload(home, street, referred, demo.today), actor_label=SOURCE).referral
    first = home.wishes[0]
    if first.state == "received":
        return
    if first.state == "declined":
        households.decline(referral, actor=staff, reason=home.public(first.words))
        return
    for wish, age in zip(home.wishes, ages, strict=True):
        _need(demo, referral, home, wish, staff, age)
        demo.ordinal += 1


def _age(wish: Wish, n: int) -> int:
    low, high = AGES.get(wish.state, (0, 2))
    age = low + (n * 7) % (high - low + 1)
    return max(age, 6) if wish.state == "published" and wish.words else age  # room for a claim and release


def payload(home: Home, street: Region, referred: datetime, today: date) -> dict[str, Any]:
    """The referral as the assistance system would post it to the intake API."""
    first = home.wishes[0]
    return {
        "external_id": referral_id(home),
        "referred_at": referred.astimezone(clock.SHANGHAI).isoformat(timespec="seconds"),
        "household": {
            "external_id": f"DEMO-H-{home.key}", "category": home.category, "group": home.group,
            "region_code": street.parent_code, "street": street.name, "members": home.members,
            "head_name": home.name, "phone": phone(home), "address": street.parent.name + home.address,
            "id_number": id_number(home, street.parent_code, today),
        },
        "need": {
            "kind": first.kind, "category": first.category, "title": home.public(first.title),
            "description": home.public(first.story), "quantity": 1, "estimated_value_fen": first.yuan * 100,
            "urgency": "urgent" if first.urgent else "normal", "needed_by": (today + timedelta(days=60)).isoformat(),
        },
    }


def _digits(home: Home) -> int:
    return int(hashlib.sha256(home.key.encode()).hexdigest()[:12], 16)


def phone(home: Home) -> str:
    """A deterministic mobile number 138xxxxxxxx."""
    return f"138{_digits(home) % 10**8:08d}"


def id_number(home: Home, district: str, today: date) -> str:
    """An 18-digit resident ID: district, a birth date matching the age, sequence (odd = male), check digit."""
    h = _digits(home)
    born = date(today.year - home.age, 1 + h % 12, 1 + h % 28)
    sequence = (h // 7) % 500 * 2 + (1 if home.sex == "M" else 0)
    body = f"{district}{born:%Y%m%d}{sequence:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    return body + check


class _Times(NamedTuple):
    published: datetime
    claimed: datetime
    delivered: datetime
    closed: datetime


def _need(demo: _Demo, referral: Referral, home: Home, wish: Wish, staff: User, age: int) -> None:
    n, today = demo.ordinal, demo.today
    deadline = today if wish.state == "expired" else today + timedelta(days=3 + n % 18)
    draft = households.NeedDraft(
        kind=wish.kind, category=wish.category, title=home.public(wish.title), story=home.public(wish.story),
        quantity=1, value_fen=wish.yuan * 100, is_urgent=wish.urgent, claim_deadline=deadline,
        fulfil_by=deadline + timedelta(days=21),
    )
    need = households.triage(referral, draft, actor=staff)
    published = datetime.combine(today - timedelta(days=age), time(9 + n % 8, n * 13 % 60), clock.SHANGHAI)
    if wish.state == "draft":
        need.created_at = published - timedelta(hours=3)
        return
    claimed = published + timedelta(days=1 + n % 3, hours=2)
    delivered = claimed + timedelta(days=2 + n % 3, hours=3)
    times = _Times(published, claimed, delivered, delivered + timedelta(days=1 + n % 3))
    t.publish(need, actor=staff)
    if wish.state in ("published", "cancelled", "expired"):
        _unclaimed(demo, need, home, wish, staff)
    else:
        _claimed(demo, need, home, wish, staff, times)
    _dates(need, wish.state, times)


def _claimed(demo: _Demo, need: Need, home: Home, wish: Wish, staff: User, times: _Times) -> None:
    member = _claimant(demo, need)
    t.claim(need, actor=member, promised_by=demo.today + timedelta(days=3 + demo.ordinal % 10))
    if wish.state == "claimed" and not wish.words:
        return
    _deliver(need, member, times.delivered, demo.ordinal)
    if wish.state == "claimed":  # delivered once, then sent back by the caseworker
        t.reject(need, actor=staff, reason=home.public(wish.words))
    elif wish.state == "closed" and wish.via == "recipient":
        code = t.issue_recipient_code(need, actor=staff)
        t.confirm_by_recipient(code, rating=wish.rating, feedback=home.public(wish.words))
    elif wish.state == "closed":
        t.confirm_by_caseworker(need, actor=staff, rating=wish.rating, feedback=home.public(wish.words))


def _unclaimed(demo: _Demo, need: Need, home: Home, wish: Wish, staff: User) -> None:
    if wish.state == "cancelled":
        t.cancel(need, actor=staff, reason=home.public(wish.words))
    elif wish.state == "expired":
        demo.expired = True  # its claim deadline moves into the past below; expire_overdue does the rest
    elif wish.words:  # a claim that was released again
        member = _claimant(demo, need)
        t.claim(need, actor=member, promised_by=need.fulfil_by)
        t.release(need, actor=member, reason=home.public(wish.words))


def _claimant(demo: _Demo, need: Need) -> User:
    """A member of an approved organisation serving the district, preferring one of the category."""
    serving = [o for o in demo.orgs if any(r.code[:6] == need.district_code for r in o.regions)] or demo.orgs
    pool = [o for o in serving if need.category in o.categories] or serving
    return pool[demo.ordinal % len(pool)].members[0]


def _deliver(need: Need, member: User, delivered: datetime, n: int) -> None:
    photo = storage.store_photo(delivery_photo(need.category, delivered.astimezone(clock.SHANGHAI), n))
    t.add_evidence(need, actor=member, kind="photo", stored=photo)
    if n % 3 == 0:
        t.add_evidence(need, actor=member, kind="note", note=NOTES[n % len(NOTES)])
    t.deliver(need, actor=member)


def _dates(need: Need, state: str, times: _Times) -> None:
    """Move the need's own dates (not the audit log) onto a believable timeline before today."""
    need.created_at = times.published - timedelta(hours=3)
    need.published_at = times.published
    claims = list(db.session.scalars(sa.select(Claim).where(Claim.need_id == need.id)))
    evidence = list(db.session.scalars(sa.select(Evidence).where(Evidence.need_id == need.id)))
    for row in claims:
        row.created_at = times.claimed
        if row.ended_at is not None:
            row.ended_at = times.closed if state == "closed" else times.claimed + timedelta(days=1)
    for item in evidence:
        item.created_at = times.delivered - timedelta(minutes=40)
    if state != "published":
        need.claim_deadline = times.published.date() + timedelta(days=14)
    if state in ("delivered", "closed"):
        need.delivered_at = need.updated_at = times.delivered
        need.promised_by = times.claimed.date() + timedelta(days=7)
        for row in claims:
            row.promised_by = need.promised_by
    if state == "closed":
        need.closed_at = need.updated_at = times.closed
    elif state == "claimed":
        need.updated_at = times.delivered + timedelta(days=1) if evidence else times.claimed
    elif state in ("published", "cancelled"):
        need.updated_at = times.claimed + timedelta(days=1) if claims or state == "cancelled" else times.published
