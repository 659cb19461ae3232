"""Transfers to departments and community leads in the demo, through the real domain functions.

The departments are the usual ones, with demo contacts; three needs of 越秀区 are transferred
(one waiting, one answered, one overdue); five leads of 北京街道 (two new and waiting long enough to
light up, one made a referral, one closed, one just in). Idempotent: the transfers are made only
while the demo has none, the leads only while it has none.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.leads import service as leads
from marketplace.leads.models import Lead
from marketplace.needs.models import Need, NeedStatus
from marketplace.regions.models import Region
from marketplace.settings import service as settings
from marketplace.transfers import service as transfers
from marketplace.transfers.models import Department, Transfer

CONTACTS = {  # demo contacts: the real ones are entered on /admin/departments
    "医保局": ("医疗救助科 周科长（演示）", "020-0000-1001", "yibao@example.cn"),
    "住建局": ("住房保障科 梁科长（演示）", "020-0000-1002", "zhujian@example.cn"),
    "人社局": ("就业促进科 何科长（演示）", "020-0000-1003", "renshe@example.cn"),
    "教育局": ("学生资助中心 郑老师（演示）", "020-0000-1004", "jiaoyu@example.cn"),
    "残联": ("康复部 罗主任（演示）", "020-0000-1005", "canlian@example.cn"),
    "卫健局": ("基层卫生科 谢科长（演示）", "020-0000-1006", "weijian@example.cn"),
    "民政局": ("社会救助科 冯科长（演示）", "020-0000-1007", "minzheng@example.cn"),
}

# (department, days to answer, what is asked, the answer: None while open, "overdue" for one past its date)
TRANSFERS = (
    ("医保局", 10, "申请医疗救助：慢性病门诊费用负担重，请核实救助资格。", None),
    ("残联", 7, "申请辅具适配：行动不便，请评估是否可配发轮椅。", "残联已评估并配发轮椅一台，12月上旬送达。"),
    ("住建局", 5, "危房排查：屋顶漏水严重，请核查是否纳入危房改造。", "overdue"),
)

# (days ago, what the reporter wrote, where to find the household, the reporter, then: None, "refer" or "close")
LEADS = (
    (4, "楼下独居的陈伯八十多岁，最近摔过一跤，家里没人照顾。", "北京路某巷，三楼东侧", "", None),
    (2, "隔壁一家三口，父亲失业半年，孩子开学缺学习用品。", "电话联系居委会可找到", "邻居 刘女士（演示）", None),
    (6, "小区里一位阿姨独自照顾瘫痪的老伴，经常来不及买菜。", "西湖路小区2栋", "", "refer"),
    (8, "有位老人在公园长椅上过夜。", "", "", "close"),
    (0, "对面楼的王婆婆家电饭煲坏了很久，一直用煤炉煮饭。", "教育路某号一楼", "热心市民（演示）", None),
)


def load_casework(staff: dict[str, User]) -> None:
    """Departments with contacts, three transfers and five leads (each part once)."""
    transfers.ensure_default_departments()
    for department in db.session.scalars(sa.select(Department)):
        if department.name in CONTACTS and not department.contact_phone:
            department.contact_name, department.contact_phone, department.contact_email = CONTACTS[department.name]
    db.session.flush()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0:
        _transfers(staff["440104"])
    if db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0:
        _leads(staff.get("440104003") or staff["440104"])


def _transfers(caseworker: User) -> None:
    today = clock.today()
    published = db.session.scalars(sa.select(Need).where(
        Need.district_code == "440104", Need.status == NeedStatus.PUBLISHED).order_by(Need.id.desc()))
    # the transfer rule's own test: not one held in parts (the 120 kits), nor one with a department already
    needs = [need for need in published if transfers.may_transfer_need(need, caseworker)][:len(TRANSFERS)]
    by_name = {d.name: d for d in db.session.scalars(sa.select(Department))}
    for need, (name, days, note, answer) in zip(needs, TRANSFERS, strict=False):
        transfer = transfers.transfer_need(need, actor=caseworker, department=by_name[name],
                                           due_on=today + timedelta(days=days), note=note)
        if answer == "overdue":
            transfer.requested_at -= timedelta(days=days + 3)
            transfer.due_on = today - timedelta(days=3)
            db.session.flush()
        elif answer is not None:
            transfers.answer(transfer, actor=caseworker, outcome="taken_over", text=answer)
    transfers.mark_overdue(clock.now())


def _leads(caseworker: User) -> None:
    street = db.session.scalar(sa.select(Region).where(Region.name == "北京街道", Region.parent_code == "440104"))
    if street is None:
        return
    now, today = clock.now(), clock.today()
    for days, description, household, reporter, then in LEADS:
        lead = leads.report(street_code=street.code, description=description, household_contact=household,
                            reporter_contact=reporter)
        lead.created_at = now - timedelta(days=days, hours=2)
        # The light the next recompute gives it (lights/rules.lead_light), so the demo shows it at once.
        lead.light = ("red" if days >= settings.get("light_lead_red_days")
                      else "yellow" if days >= settings.get("light_lead_yellow_days") else "green")
        db.session.flush()
        if then == "close":
            leads.close(lead, actor=caseworker, reason="cannot_reach", note="走访公园三次未遇到，已告知街道巡查队。")
        elif then == "refer":
            leads.refer(lead, {
                "household": {"category": "dibao_edge", "group": "severe_illness_disability",
                              "region_code": street.parent_code, "street": street.code, "members": 2,
                              "head_name": "苏桂兰", "address": household},
                "need": {"kind": "service", "category": "meals", "title": "每周送餐上门",
                         "description": description, "quantity": 1, "estimated_value_fen": 60000,
                         "urgency": "normal", "needed_by": (today + timedelta(days=30)).isoformat()},
            }, actor=caseworker)
