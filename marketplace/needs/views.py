"""Public and organisation pages of needs: browse, read, claim, deliver; recipients confirm."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import storage
from marketplace.accounts.access import public, roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db, limiter
from marketplace.needs import browse as browsing
from marketplace.needs import transitions, visibility
from marketplace.needs.forms import ActionForm, ClaimForm, EvidenceForm, OptionalReasonForm, RecipientConfirmForm
from marketplace.needs.models import PUBLIC_STATUSES, Claim, ClaimStatus, Evidence, Need
from marketplace.paging import cursor_arg, paginate
from marketplace.regions.service import districts
from marketplace.unit_of_work import refusal

bp = Blueprint("needs", __name__)
PUBLIC_STATES = PUBLIC_STATUSES


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _filter_from_args() -> browsing.BrowseFilter:
    min_yuan, max_yuan = _int_arg("min"), _int_arg("max")
    return browsing.BrowseFilter(
        district=request.args.get("district", "")[:12], street=request.args.get("street", "")[:12],
        category=request.args.get("category", "")[:30], kind=request.args.get("kind", "")[:12],
        urgent_only=request.args.get("urgent") == "1",
        min_fen=min_yuan * 100 if min_yuan is not None else None,
        max_fen=max_yuan * 100 if max_yuan is not None else None,
        q=request.args.get("q", "").strip()[:60], sort=request.args.get("sort", browsing.RELEVANCE)[:12],
    )


@bp.route("/needs")
@public
def browse() -> str:
    """Published needs, filtered, searched and paged (keyset); no household is identifiable."""
    f = _filter_from_args()
    page = browsing.browse(f, after=request.args.get("after", "")[:200])
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("needs/browse.html", needs=page.needs, f=f, next_cursor=page.next_cursor, args=args,
                           too_common=page.too_common, districts=districts(), query=f.query)


def _public_need_or_404(need_id: int) -> Need:
    need = db.get_or_404(Need, need_id)
    if need.status not in PUBLIC_STATES and not _is_claimer(need):
        abort(404)
    return need


def _is_claimer(need: Need) -> bool:
    return visibility.viewers_claim(need, current_user) is not None


@bp.route("/needs/<int:need_id>")
@public
def detail(need_id: int) -> str:
    """A need's public story and state; its claimer also sees its own claim's evidence and delivery actions."""
    need = _public_need_or_404(need_id)
    claim_form = ClaimForm(promised_by=min(need.fulfil_by, need.claim_deadline) if need.fulfil_by else None,
                           quantity=need.left or None)
    return render_template(
        "needs/detail.html", need=need, is_claimer=_is_claimer(need), claim_form=claim_form,
        evidence=visibility.evidence_for(need, current_user),
        evidence_form=EvidenceForm(), action_form=ActionForm(), release_form=OptionalReasonForm(),
    )


def _back(need: Need) -> Response:
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/needs/<int:need_id>/claim", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def claim(need_id: int) -> Response:
    """Claim the need with a promised date; if someone was faster, say so."""
    need = _public_need_or_404(need_id)
    form = ClaimForm()
    if not form.validate_on_submit():
        errors = [*form.promised_by.errors, *form.quantity.errors]
        flash(" ".join(str(e) for e in errors) or _("Choose a date."), "error")
        return _back(need)
    with refusal() as refused:
        part = transitions.claim(need, actor=current_user, promised_by=form.promised_by.data,
                                 quantity=form.quantity.data)
    if refused:
        return _back(need)
    if part.quantity < need.quantity:
        flash(_("Claimed %(part)s of %(quantity)s. Thank you! Deliver by %(date)s and add a photo or receipt.",
                part=part.quantity, quantity=need.quantity, date=part.promised_by), "success")
        return _back(need)
    flash(_("Claimed. Thank you! Deliver by %(date)s and add a photo or receipt.", date=need.promised_by), "success")
    return _back(need)


@bp.route("/needs/<int:need_id>/evidence", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def add_evidence(need_id: int) -> Response:
    """Upload a photo or receipt (metadata stripped) or write a note."""
    need = _public_need_or_404(need_id)
    if not _is_claimer(need):
        abort(403)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return _back(need)
    with refusal() as refused:
        stored = storage.store_photo(form.file.data.read()) if form.kind.data != "note" else None
        transitions.add_evidence(need, actor=current_user, kind=form.kind.data, note=form.note.data or "",
                                 stored=stored)
    if refused:
        return _back(need)
    flash(_("Evidence added."), "success")
    return _back(need)


@bp.route("/needs/<int:need_id>/deliver", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def deliver(need_id: int) -> Response:
    """Mark the need delivered; staff or the recipient confirm next."""
    need = _public_need_or_404(need_id)
    return _member_action(need, lambda: transitions.deliver(need, actor=current_user),
                          _("Marked delivered. The caseworker or the recipient will confirm."))


@bp.route("/needs/<int:need_id>/release", methods=["POST"])
@roles_required(Role.ORG_MEMBER)
def release(need_id: int) -> Response:
    """Give the claim back so another organisation can take it."""
    need = _public_need_or_404(need_id)
    form = OptionalReasonForm()
    return _member_action(need, lambda: transitions.release(need, actor=current_user, reason=form.reason.data or ""),
                          _("Claim released."), form)


def _member_action(need: Need, operation, done: str, form=None) -> Response:  # type: ignore[no-untyped-def]
    form = form or ActionForm()
    if not _is_claimer(need):
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    with refusal() as refused:
        operation()
    if not refused:
        flash(done, "success")
    return _back(need)


@bp.route("/org/claims")
@roles_required(Role.ORG_MEMBER)
def my_claims() -> str:
    """Our claims, open ones first by promised date, then the finished ones."""
    status = request.args.get("status", "open")
    query = sa.select(Claim).join(Claim.need).where(Claim.organisation_id == current_user.organisation_id)
    if status == "open":
        query = query.where(Claim.status == ClaimStatus.ACTIVE).order_by(Claim.promised_by, Claim.id)
    else:
        query = query.where(Claim.status != ClaimStatus.ACTIVE).order_by(Claim.id.desc())
    page = paginate(query, per_page=30, cursor=cursor_arg())
    return render_template("needs/my_claims.html", page=page, status=status)


@bp.route("/evidence/<int:evidence_id>")
@roles_required()
def evidence_file(evidence_id: int) -> Response:
    """A stored photo, only for staff of the region and the organisation whose current claim it belongs to."""
    item = db.get_or_404(Evidence, evidence_id)
    if not visibility.may_see_evidence(current_user, item) or not item.file_key:
        abort(404)  # the same answer whether it exists or not
    try:
        data = storage.read(item.file_key)
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype=item.content_type,
                    headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"})


@bp.route("/confirm", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def recipient_confirm() -> str | Response:
    """The recipient confirms delivery with the code on the slip the caseworker gave them."""
    # The slip's QR code brings the code in the address; it is filled in, never sent anywhere else.
    form = RecipientConfirmForm(code=request.args.get("code", "")[:20] if request.method == "GET" else None)
    if form.validate_on_submit():
        with refusal(form.code) as refused:
            transitions.confirm_by_recipient(form.code.data, rating=int(form.rating.data),
                                             feedback=form.feedback.data or "")
        if not refused:
            return render_template("needs/confirmed.html")
    response = Response(render_template("needs/confirm.html", form=form), mimetype="text/html")
    if request.args.get("code"):  # the code must not travel on in a Referer or stay in a cache
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "private, no-store"
    return response
