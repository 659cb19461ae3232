"""The demo data set: an admin, staff for two districts, and organisations of every kind.

Idempotent: everything is looked up by a natural key (email, credit code) before it is created,
so loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.accounts import service as accounts
from marketplace.accounts.models import Role, User
from marketplace.demo import casework, loop
from marketplace.demo import duplicates as duplicates_demo
from marketplace.demo import matching as matching_demo
from marketplace.demo import meals as meals_demo
from marketplace.demo import parts as parts_demo
from marketplace.demo import projects as projects_demo
from marketplace.demo import visits as visits_demo
from marketplace.extensions import db
from marketplace.organisations import credit_code
from marketplace.organisations import service as organisations
from marketplace.organisations.models import Organisation
from marketplace.regions.models import Region

# 木棉 (kapok) is Guangzhou's flower. Strong enough for the password rule, and printed in the README.
DEMO_PASSWORD = "kapok-flower-2026"
DEMO_DOMAIN = "@shanlian.demo"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login shown to newcomers."""

    email: str
    role: str
    note: str


STAFF = [
    ("admin@shanlian.demo", Role.ADMIN, None, "市民政局管理员"),
    ("yuexiu@shanlian.demo", Role.STAFF, "440104", "越秀区民政局 陈社工"),
    ("beijingjie@shanlian.demo", Role.STAFF, "440104003", "北京街道 黄社工"),
    ("tianhe@shanlian.demo", Role.STAFF, "440106", "天河区民政局 林社工"),
]

# (kind, name, district, categories, status, reason)
ORGANISATIONS = [
    ("charity", "广州市善源慈善基金会", "440104", ["daily_living", "education"], "approved", ""),
    ("charity", "越秀区扶老助残慈善会", "440104", ["visit", "companionship", "mobility"], "approved", ""),
    ("charity", "天河区明德助学促进会", "440106", ["education"], "approved", ""),
    ("charity", "广州市春晖助困基金会", "440106", ["medical", "emergency"], "approved", ""),
    ("charity", "羊城暖冬慈善会", "440104", ["daily_living"], "pending", ""),
    ("charity", "珠江爱心救助协会", "440106", ["emergency", "meals"], "rejected", "登记证书已过期，请更新后重新申请。"),
    ("company", "广州粤味餐饮管理有限公司", "440104", ["meals"], "approved", ""),
    ("company", "天河安居装饰工程有限公司", "440106", ["housing", "home_safety"], "approved", ""),
    ("company", "羊城电器连锁有限公司", "440104", ["daily_living"], "approved", ""),
    ("company", "广州康健医药有限公司", "440106", ["medical", "rehab_nursing"], "approved", ""),
    ("company", "越秀老字号茶楼有限公司", "440104", ["meals"], "pending", ""),
    ("company", "广州宏图建材有限公司", "440106", ["housing"], "pending", ""),
    ("project", "北京街道社工站", "440104003", ["visit", "counselling", "life_skills"], "approved", ""),
    ("project", "天河区长者关爱计划", "440106", ["companionship", "cleaning"], "approved", ""),
    ("project", "越秀区青年就业帮扶项目", "440104", ["employment", "life_skills"], "approved", ""),
    ("project", "珠江儿童成长守护计划", "440106", ["childcare", "education"], "approved", ""),
    ("project", "东山街道社区照护项目", "440104", ["rehab_nursing", "medical_escort"], "pending", ""),
    ("project", "石牌街道安全家居行动", "440106", ["home_safety"], "pending", ""),
]

CONTACTS = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高"]


def demo_credit_code(kind: str, index: int, district: str) -> str:
    """A well-formed, deterministic credit code (5 = civil affairs, 9 = market regulation)."""
    prefix = {"charity": "53", "project": "52", "company": "91"}[kind]
    return credit_code.make(f"{prefix}{district[:6]}MA{index:07d}")


def load() -> list[DemoAccount]:
    """Create whatever part of the demo set is missing; return the accounts to show."""
    shown = [_ensure_staff(*row) for row in STAFF]
    admin = accounts.find_by_email("admin@shanlian.demo")
    for index, row in enumerate(ORGANISATIONS, start=1):
        member = _ensure_organisation(index, *row, reviewer=admin)
        if index in (1, 7, 13, 5):
            shown.append(member)
    db.session.flush()
    staff = {region: accounts.find_by_email(email) for email, _role, region, _name in STAFF if region}
    codes = [demo_credit_code(row[0], index, row[2]) for index, row in enumerate(ORGANISATIONS, start=1)]
    approved = list(db.session.scalars(
        db.select(Organisation).where(Organisation.credit_code.in_(codes), Organisation.status == "approved")
        .order_by(Organisation.id)
    ))
    _ensure_offices()
    approved = list(approved)
    loop.load_loop(staff, approved)
    matching_demo.load_matching(staff, approved)
    parts_demo.load_parts(staff, approved)
    shown += [DemoAccount(*row) for row in meals_demo.load_meals(staff["440104"], DEMO_PASSWORD)]
    projects_demo.load_projects(staff, admin)
    casework.load_casework(staff)
    duplicates_demo.load_duplicates()
    visits_demo.load_visits(staff)
    _renew_passwords()
    return shown


OFFICES = {  # the demo's offices; real ones are entered on /admin/regions
    "440104": ("越秀区民政局社会救助科（演示）", "020-0000-0104", "越秀区示范路1号（演示地址）"),
    "440104003": ("北京街道社会事务办公室（演示）", "020-0000-4003", ""),
    "440106": ("天河区民政局社会救助科（演示）", "020-0000-0106", ""),
}


def _ensure_offices() -> None:
    for code, (name, phone, address) in OFFICES.items():
        region = db.session.get(Region, code)
        if region is not None and not region.office_phone:
            region.office_name, region.office_phone, region.office_address = name, phone, address


def _renew_passwords() -> None:
    """Demo accounts made before the password rule had a weaker password: give them today's."""
    for user in db.session.scalars(db.select(User).where(User.email.endswith(DEMO_DOMAIN))):
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)


def _ensure_staff(email: str, role: Role, region: str | None, name: str) -> DemoAccount:
    if accounts.find_by_email(email) is None:
        accounts.create_user(email, DEMO_PASSWORD, role, region_code=region, display_name=name)
    return DemoAccount(email, role.value, name)


def _ensure_organisation(
    index: int, kind: str, name: str, region: str, categories: list[str], status: str, reason: str,
    *, reviewer: User | None,
) -> DemoAccount:
    email = f"org{index:02d}@shanlian.demo"
    code = demo_credit_code(kind, index, region)
    if not organisations.credit_code_taken(code):
        contact = CONTACTS[index % len(CONTACTS)] + ("女士" if index % 2 else "先生")
        org = organisations.register(
            organisations.Registration(
                name=name, kind=kind, credit_code=code, contact_name=contact,
                contact_phone=f"020-8{index:03d}{index:04d}"[:13], contact_email=f"contact{index:02d}@example.cn",
                description=f"{name}扎根广州，长期服务困难家庭。", region_codes=[region], categories=categories,
                member_email=email, member_password=DEMO_PASSWORD,
            )
        )
        if status != "pending" and reviewer is not None:
            organisations.review(org, actor=reviewer, approve=status == "approved", reason=reason)
    org = db.session.scalar(db.select(Organisation).where(Organisation.credit_code == code))
    return DemoAccount(email, f"{Role.ORG_MEMBER.value} ({org.status})", name)
