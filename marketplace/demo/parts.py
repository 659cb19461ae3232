"""Split fulfilment in the demo: a need of 120 fall-prevention kits taken in two parts.

The street's social-work station asks for 120 kits (grab rails, non-slip mats, night lights) for
its elderly residents living alone; one organisation has taken 80 and delivered them, awaiting
the caseworker's confirmation; staff routed the other 40 to a second organisation as an offer,
which accepted 25 of them (an offer accepted in part), so 15 are still in the pool. Through the
real operations (intake, triage, publish, claim with a quantity, route, accept in part, evidence,
deliver), so the history is complete.
Idempotent: skipped once its referral exists.
"""

from __future__ import annotations

from datetime import timedelta

from marketplace import clock, storage
from marketplace.accounts.models import User
from marketplace.demo.photos import delivery_photo
from marketplace.households import intake
from marketplace.households import service as households
from marketplace.matching import offers
from marketplace.needs import transitions as t
from marketplace.organisations.models import Organisation

SOURCE = "demo-assistance-system"
EXTERNAL_ID = "DEMO-PARTS-KITS-120"
TITLE = "120套居家防跌倒套装"
STORY = "北京街道的高龄独居老人家中需要防跌倒套装（扶手、防滑垫、感应夜灯），共120套，可由多家机构分批认领。"


def _payload() -> dict:
    today = clock.today()
    return {
        "external_id": EXTERNAL_ID,
        "referred_at": (clock.now() - timedelta(days=6)).astimezone(clock.SHANGHAI).isoformat(timespec="seconds"),
        "household": {"external_id": "DEMO-H-PARTS-120", "category": "tekun", "group": "elderly_special_difficulty",
                      "region_code": "440104", "street": "北京街道", "members": 1, "head_name": "社工站集中申报",
                      "phone": "13800000120", "address": "越秀区北京街道社工站（演示地址）",
                      "id_number": "440104194803056122"},
        "need": {"kind": "service", "category": "home_safety", "title": TITLE, "description": STORY, "quantity": 120,
                 "estimated_value_fen": 120 * 15_000, "urgency": "normal",
                 "needed_by": (today + timedelta(days=45)).isoformat()},
    }


def load_parts(staff_by_district: dict[str, User], orgs: list[Organisation]) -> None:
    """The 120-kit need with its two parts, unless it is there already."""
    helpers = [o for o in orgs if o.is_approved and o.members][:2]
    if intake.find(SOURCE, EXTERNAL_ID) is not None or len(helpers) < 2:
        return
    staff = staff_by_district["440104"]
    referral = intake.receive(SOURCE, _payload(), actor_label=SOURCE).referral
    today = clock.today()
    draft = households.NeedDraft(kind="service", category="home_safety", title=TITLE, story=STORY, quantity=120,
                                 value_fen=120 * 15_000, is_urgent=False, claim_deadline=today + timedelta(days=14),
                                 fulfil_by=today + timedelta(days=40))
    need = households.triage(referral, draft, actor=staff)
    t.publish(need, actor=staff)
    first, second = (o.members[0] for o in helpers)
    t.claim(need, actor=first, promised_by=today + timedelta(days=7), quantity=80)
    offer = offers.route(need, organisation=helpers[1], actor=staff)
    offers.accept(offer, actor=second, promised_by=today + timedelta(days=12), quantity=25)
    photo = storage.store_photo(delivery_photo(need.category, clock.now().astimezone(clock.SHANGHAI), 120))
    t.add_evidence(need, actor=first, kind="photo", stored=photo)
    t.add_evidence(need, actor=first, kind="note", note="首批80套已送到社工站，逐户安装中。")
    t.deliver(need, actor=first)
