"""Admin pages: overview, accounts and their access."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import listing
from marketplace.accounts import service as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, User
from marketplace.admin.forms import ROLE_LABELS, AccessForm, NewUserForm
from marketplace.extensions import db
from marketplace.listing import Column, sorted_by
from marketplace.paging import cursor_arg, paginate
from marketplace.unit_of_work import refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    """The admin overview."""
    counts = dict(db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all())
    return render_template("admin/index.html", counts=counts, role_labels=ROLE_LABELS)


def _scope_text(user: User) -> str:
    return user.region.full_name if user.region else (user.organisation.name if user.organisation else "")


USER_COLUMNS = (
    Column("email", _l("Email"), User.email, lambda u: u.email),
    Column("name", _l("Name"), User.display_name, lambda u: u.display_name),
    Column("role", _l("Role"), User.role, lambda u: ROLE_LABELS[u.role]),
    Column("scope", _l("Scope"), None, _scope_text),
    Column("enabled", _l("Enabled"), User.is_enabled, lambda u: _("yes") if u.is_enabled else _("no")),
    Column("created", _l("Created"), User.created_at, lambda u: u.created_at),
    Column("last_login", _l("Last sign-in"), User.last_login_at, lambda u: u.last_login_at),
)


def _users_query() -> tuple[sa.Select, dict[str, str]]:
    """The accounts the filters choose: a role, and text in the email or name."""
    role = request.args.get("role", "")
    q = request.args.get("q", "").strip()[:100]
    query = sa.select(User)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    if q:
        query = query.where(sa.or_(User.email.contains(q.lower()), User.display_name.contains(q)))
    return query, {"role": role, "q": q}


@bp.route("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    """All accounts, filtered by role and text, sorted by any column, paged."""
    query, filters = _users_query()
    query, sorting = sorted_by(query, USER_COLUMNS, "email", User.id)
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("admin/users.html", page=page, role_labels=ROLE_LABELS, columns=USER_COLUMNS,
                           sorting=sorting, **filters)


@bp.route("/users/export.<fmt>")
@roles_required(Role.ADMIN)
def users_export(fmt: str) -> Response:
    """The filtered accounts as CSV or XLSX, in the page's order."""
    query, _filters = _users_query()
    query, _sorting = sorted_by(query, USER_COLUMNS, "email", User.id)
    return listing.export(query, USER_COLUMNS, fmt, "users", back=url_for("admin.users", **request.args))


def _scope(form: AccessForm) -> tuple[str | None, int | None]:
    org = form.organisation_id.data
    return form.region_code.data or None, int(org) if org else None


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new() -> str | Response:
    """Create an account with a role and scope."""
    form = NewUserForm(is_enabled=True)
    if form.validate_on_submit():
        region_code, org_id = _scope(form)
        with refusal() as refused:
            user = accounts.create_user(
                form.email.data, form.password.data, form.role.data, region_code=region_code,
                organisation_id=org_id, display_name=form.display_name.data or "", actor=current_user,
            )
        if not refused:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int) -> str | Response:
    """Change an account's role, scope or status; its sessions end when access changes."""
    user = db.get_or_404(User, user_id)
    form = AccessForm(
        data={"role": user.role, "region_code": user.region_code or "",
              "organisation_id": str(user.organisation_id or ""), "is_enabled": user.is_enabled}
        if request.method == "GET" else None
    )
    if form.validate_on_submit():
        region_code, org_id = _scope(form)
        with refusal() as refused:
            accounts.change_access(
                user, actor=current_user, role=form.role.data, region_code=region_code,
                organisation_id=org_id, is_enabled=form.is_enabled.data,
            )
        if not refused:
            flash(_("Access of %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
