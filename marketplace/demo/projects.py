"""Renovation projects (安心善居) in the demo: demo households of 越秀区 and 天河区 at every stage.

Each project starts as a renovation referral of an existing demo household (same source, its own
external id), is triaged into its need and surveyed, then goes through the real domain functions:
plan lines, 一事一议 for the plan above the cap, approval, pledges of approved demo organisations
(delivered and confirmed by staff, or still open), gifts, works, final inspection, acceptance and
a small maintenance request. Afterwards only the dates are moved onto a believable timeline.

Gifts: donations/service.py has no function to record an offline gift (every gift goes through
Stripe and its webhook), so a succeeded `Donation` row is written here as the webhook would leave
it (status, succeeded_at, no PaymentIntent) and allocated to the plan's lines by the webhook's own
`_allocate`, which also moves the project to "fully covered" when it is.

Idempotent: a project whose referral (source "demo-assistance-system", "DEMO-RENO-<home>") exists
is skipped whole. Public titles and stories write the surname's initial ("{x}"), never personal data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from marketplace import clock, storage
from marketplace.accounts.models import User
from marketplace.audit import service as audit
from marketplace.demo.loop import HOMES, SOURCE, payload
from marketplace.demo.photos import delivery_photo
from marketplace.demo.stories import Home
from marketplace.donations import service as donations
from marketplace.donations.models import Donation
from marketplace.extensions import db
from marketplace.households import intake
from marketplace.organisations.models import Organisation, OrgStatus
from marketplace.projects import service
from marketplace.projects.models import MILESTONES, Milestone, Pledge, Project
from marketplace.regions.models import STREET, Region
from marketplace.settings import service as settings

# Days after the survey when each milestone was reached.
REACHED_AFTER = {Milestone.SURVEYED: 0, Milestone.PLAN_APPROVED: 7, Milestone.COVERED: 28,
                 Milestone.WORKS_STARTED: 35, Milestone.INSPECTED: 70, Milestone.ACCEPTED: 75}


@dataclass(frozen=True)
class Line:
    """A plan line: kind (materials, labour, other), description, quantity, amount in yuan."""

    kind: str
    description: str
    quantity: str
    yuan: int


@dataclass(frozen=True)
class Help:
    """A pledge: organisation, plan line (index), kind, value; items or labour days; how far it got."""

    org: str
    line: int
    kind: str
    yuan: int
    items: str = ""
    days: int | None = None
    state: str = "confirmed"  # pledged, delivered or confirmed


@dataclass(frozen=True)
class Gift:
    """A donation received: amount, the donor's name if shown (else anonymous), days after the survey."""

    yuan: int
    donor: str = ""
    after: int = 10


@dataclass(frozen=True)
class DemoProject:
    """One household's renovation and the milestone the demo leaves it at."""

    home: str
    milestone: str
    surveyed_days_ago: int
    title: str
    story: str
    survey: str
    lines: tuple[Line, ...]
    pledges: tuple[Help, ...] = ()
    gifts: tuple[Gift, ...] = ()
    over_cap_reason: str = ""
    inspection: str = ""
    maintenance: str = ""


PROJECTS = (
    DemoProject(
        "YX-012", Milestone.SURVEYED, 5, "厨房和卫生间防水改造",
        "{x}叔一家四口住在洪桥街道一栋老楼的顶层，厨房和卫生间的楼板渗水，墙角长期发霉，楼下邻居也受影响。"
        "社工已上门勘查，正在制定改造方案。",
        "厨房顶板两处渗水，卫生间地面防水层老化，墙角霉斑约6平方米；排水管接口锈蚀。",
        (Line("materials", "防水涂料、瓷砖及排水管件", "1批", 8_500), Line("labour", "防水及泥水施工", "8人日", 6_000)),
    ),
    DemoProject(
        "TH-026", Milestone.PLAN_APPROVED, 20, "台风后屋顶翻修与防水",
        "{x}先生一家三口住在天河南街道的老旧平房，台风过后屋顶多处漏水，雨天要用桶接水，孩子的床也被淋湿过。"
        "方案已经批准，还差一部分费用，欢迎企业和爱心人士一起帮忙。",
        "屋面瓦片破损约30%，防水层老化；檐口木梁受潮，需更换两根；室内天花有水渍。",
        (Line("materials", "防水卷材、琉璃瓦及木梁", "1批", 18_000),
         Line("labour", "屋面拆铺及防水施工", "12人日", 9_600),
         Line("other", "脚手架租赁及建筑垃圾清运", "1项", 2_400)),
        pledges=(Help("天河安居装饰工程有限公司", 0, "materials", 18_000, items="防水卷材、琉璃瓦、木梁"),
                 Help("广州市春晖助困基金会", 1, "money", 5_000, state="delivered")),
        gifts=(Gift(2_000, after=9), Gift(1_000, "陈先生", after=12)),
    ),
    DemoProject(
        "TH-033", Milestone.COVERED, 35, "卧室墙面防霉与窗户更换",
        "{x}阿姨一家五口住在元岗街道，卧室墙面常年返潮发霉，木窗关不严，孙子一到春天就咳嗽。"
        "改造费用已经全部落实，即将开工。",
        "卧室两面墙霉变，墙皮脱落；两扇木窗变形、无法关闭；需铲除旧墙皮并做防潮处理。",
        (Line("materials", "防霉涂料及铝合金窗", "2扇窗", 4_000), Line("labour", "墙面处理及安装", "5人日", 3_000)),
        pledges=(Help("广州市春晖助困基金会", 0, "money", 4_000),
                 Help("天河安居装饰工程有限公司", 1, "labour", 3_000, days=5)),
    ),
    DemoProject(
        "YX-041", Milestone.WORKS_STARTED, 50, "危旧房屋结构加固与屋面翻修",
        "{x}奶奶，69岁，和老伴住在六榕街道一栋砖木结构的老屋里，承重墙开裂，屋面漏雨，白蚁蛀蚀了木梁。"
        "经一事一议批准，改造已经开工。",
        "经第三方鉴定：承重墙两处竖向裂缝，木梁白蚁蛀蚀，屋面渗漏；电线老化，无漏电保护。",
        (Line("materials", "结构加固钢材、水泥及木梁", "1批", 42_000),
         Line("materials", "阻燃电线及漏电保护开关", "1批", 6_000),
         Line("labour", "结构加固及屋面施工", "45人日", 36_000),
         Line("other", "白蚁防治及建筑垃圾清运", "1项", 8_000)),
        pledges=(Help("广州市善源慈善基金会", 0, "money", 42_000),
                 Help("羊城电器连锁有限公司", 1, "materials", 6_000, items="阻燃电线、漏电保护开关"),
                 Help("越秀区扶老助残慈善会", 2, "money", 20_000),
                 Help("天河安居装饰工程有限公司", 2, "labour", 16_000, days=20)),
        gifts=(Gift(5_000, "李女士", after=15), Gift(3_000, after=20)),
        over_cap_reason="房屋为砖木结构，第三方鉴定须先做结构加固才能修缮屋面，总价92,000元超出标准；"
                        "报价经两家单位比价合理，住户为低保困难老人，经一事一议批准。",
    ),
    DemoProject(
        "YX-006", Milestone.ACCEPTED, 100, "老房墙面防潮与门窗更换",
        "{x}阿姨家在光塔街道一栋老房的一楼，回南天墙面滴水，木门腐烂关不上，老伴行动不便。"
        "改造已竣工验收，家里干爽了，门也关得严实了。",
        "一楼墙面返潮高度约1.2米，木门及门框腐烂，两扇窗户玻璃破裂。",
        (Line("materials", "防潮涂料及踢脚线", "1批", 5_200), Line("materials", "入户门及窗户", "1门2窗", 7_800),
         Line("labour", "泥水及安装施工", "10人日", 6_000)),
        pledges=(Help("羊城电器连锁有限公司", 1, "money", 7_800),
                 Help("天河安居装饰工程有限公司", 2, "labour", 6_000, days=10)),
        gifts=(Gift(3_000, "广州热心市民", after=10), Gift(2_200, after=14)),
        inspection="墙面防潮层完好，门窗开关顺畅，无渗水；住户对施工满意。",
        maintenance="入户门门锁松动，需上门调整。",
    ),
    # Near the ¥80,000 standard per household: another plan for this household within five years
    # needs an admin's 一事一议 (docs/households.md).
    DemoProject(
        "YX-046", Milestone.PLAN_APPROVED, 12, "老屋整体修缮：屋面、墙体与水电",
        "{x}姐一家四口住在人民街道一栋上世纪五十年代的老屋，屋面漏雨、墙体开裂，电线老化多次跳闸。"
        "整体修缮方案已经批准，正在等待爱心单位认捐。",
        "屋面瓦片大面积破损，北墙两处贯穿裂缝，电线为老式铝线，卫生间无防水。",
        (Line("materials", "屋面瓦、防水卷材及木檩条", "1批", 26_000),
         Line("materials", "墙体加固材料及阻燃电线", "1批", 18_000),
         Line("labour", "屋面、墙体及水电施工", "40人日", 30_000),
         Line("other", "脚手架及建筑垃圾清运", "1项", 4_000)),
    ),
)


def load_projects(staff_by_region: dict[str, User], admin: User | None) -> None:
    """Create the demo projects that are missing (each needs its approved organisations and an admin)."""
    homes = {home.key: home for home in HOMES}
    for spec in PROJECTS:
        if intake.find(SOURCE, referral_id(spec)) is None:
            _project(spec, homes[spec.home], staff_by_region, admin)
    db.session.flush()


def referral_id(spec: DemoProject) -> str:
    """The external id of the project's renovation referral."""
    return f"DEMO-RENO-{spec.home}"


def _project(spec: DemoProject, home: Home, staff_by_region: dict[str, User], admin: User | None) -> None:
    street = db.session.scalar(sa.select(Region).where(Region.name == home.street, Region.level == STREET))
    if street is None:
        raise LookupError(f"street {home.street} is not loaded: run `flask regions import` first")
    staff = staff_by_region.get(street.code) or staff_by_region[street.parent_code]
    today = clock.today()
    surveyed = today - timedelta(days=spec.surveyed_days_ago)
    referred = datetime.combine(surveyed - timedelta(days=3), time(10), clock.SHANGHAI)
    body = payload(home, street, referred, today)
    total = sum(line.yuan for line in spec.lines)
    body["external_id"] = referral_id(spec)
    body["need"] = {"kind": "renovation", "category": "housing", "title": home.public(spec.title),
                    "description": home.public(spec.story), "quantity": 1,
                    # the referral's estimate stays within the cap; the survey found more for the 一事一议 plan
                    "estimated_value_fen": min(total * 100, settings.get("renovation_cap_fen")),
                    "urgency": "urgent" if spec.over_cap_reason else "normal",
                    "needed_by": (today + timedelta(days=90)).isoformat()}
    referral = intake.receive(SOURCE, body, actor_label=SOURCE).referral
    need = service.renovation_need(referral, actor=staff, title=home.public(spec.title), story=home.public(spec.story))
    photo = storage.store_photo(delivery_photo("housing", referred + timedelta(days=3), spec.surveyed_days_ago))
    project = service.create(need, actor=staff, survey_notes=spec.survey, surveyed_on=surveyed, photos=[photo])
    lines = [service.add_line(project, actor=staff, kind=line.kind, description=line.description,
                              quantity=line.quantity, amount_fen=line.yuan * 100) for line in spec.lines]
    target = MILESTONES.index(spec.milestone)
    if target >= 1:
        if spec.over_cap_reason:
            if admin is None:
                raise LookupError("the demo admin is missing")
            service.grant_over_cap(project, actor=admin, reason=spec.over_cap_reason)
        service.approve_plan(project, actor=staff)
        for item in spec.pledges:
            _pledge(project, lines, item, staff)
        for gift in spec.gifts:
            _gift(project, gift, surveyed)
    if target >= 3:
        service.start_works(project, actor=staff)
    if target >= 4:
        service.final_inspection(project, actor=staff, passed=True, notes=spec.inspection)
    if target >= 5:
        service.accept(project, actor=staff)
        if spec.maintenance:
            service.request_maintenance(project, actor=staff, description=spec.maintenance)
    db.session.flush()
    db.session.refresh(project)
    if project.milestone != spec.milestone:
        raise RuntimeError(f"demo project {spec.home} ended at {project.milestone}, not {spec.milestone}")
    _dates(project, surveyed)


def _pledge(project: Project, lines: list, item: Help, staff: User) -> None:  # type: ignore[type-arg]
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == item.org,
                                                          Organisation.status == OrgStatus.APPROVED))
    if org is None or not org.members:
        return  # the organisation is not (yet) approved in this database: the project simply lacks its help
    member = org.members[0]
    made = service.pledge(project, lines[item.line], actor=member, kind=item.kind, value_fen=item.yuan * 100,
                          items=item.items, quantity="1批" if item.items else "", labour_days=item.days)
    if item.state in ("delivered", "confirmed"):
        service.deliver_pledge(made, actor=member)
    if item.state == "confirmed":
        service.confirm_pledge(made, actor=staff)


def _gift(project: Project, gift: Gift, surveyed) -> None:  # type: ignore[no-untyped-def]
    """A received gift, written as the webhook leaves one (see the module's docstring)."""
    when = datetime.combine(surveyed + timedelta(days=gift.after), time(20, 15), clock.SHANGHAI)
    donation = Donation(token=secrets.token_urlsafe(18), project_id=project.id, district_code=project.district_code,
                        amount_fen=gift.yuan * 100, donor_name=gift.donor, show_name=bool(gift.donor),
                        status="succeeded", created_at=when, succeeded_at=when)
    db.session.add(donation)
    db.session.flush()
    donations._allocate(donation)
    audit.record("donation.succeeded", obj=donation, actor_label="demo",
                 after={"amount_fen": donation.amount_fen, "project_fen": donation.project_fen,
                        "general_fund_fen": donation.general_fund_fen, "offline": True})


def _dates(project: Project, surveyed) -> None:  # type: ignore[no-untyped-def]
    """Move the milestones reached (and the pledges' dates) onto a timeline before today."""
    reached = {}
    for row in project.milestones:
        if row.reached_at is not None:
            day = surveyed + timedelta(days=REACHED_AFTER[Milestone(row.milestone)])
            row.reached_at = reached[row.milestone] = datetime.combine(day, time(16), clock.SHANGHAI)
    approved = reached.get(Milestone.PLAN_APPROVED)
    for n, item in enumerate(db.session.scalars(sa.select(Pledge).where(Pledge.project_id == project.id))):
        if approved is None:
            break
        item.created_at = approved + timedelta(days=1 + n)
        if item.delivered_at is not None:
            item.delivered_at = item.created_at + timedelta(days=5)
        if item.confirmed_at is not None:
            item.confirmed_at = item.created_at + timedelta(days=6)
    project.created_at = datetime.combine(surveyed, time(11), clock.SHANGHAI)
    project.updated_at = max(reached.values())
