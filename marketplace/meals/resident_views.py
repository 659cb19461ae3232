"""Resident pages (no account, phone-first, plain words): outlets with meals left, book, voucher, cancel."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import SelectChoice

from marketplace import qr, storage
from marketplace.accounts.access import public
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.meals import codes, outlets, phones, quota, timing, vouchers
from marketplace.meals.errors import AlreadyBooked
from marketplace.meals.forms import ActionForm, BookForm, FindVoucherForm
from marketplace.meals.models import Outlet, Voucher, VoucherStatus
from marketplace.unit_of_work import refusal

bp = Blueprint("meals", __name__, url_prefix="/meals")


def _booking_limit() -> str:
    return current_app.config.get("MEAL_BOOKING_RATE_LIMIT", "10 per minute;100 per hour")


def _finding_limit() -> str:
    return current_app.config["MEAL_FIND_RATE_LIMIT"]


def _posted_number() -> str:
    """The number being looked up, in its coded form: guessing one resident's voucher is slowed down
    whatever address the guesser uses, and no number is kept in clear by the limiter."""
    normalised = phones.normalise(request.form.get("phone", ""))
    return "find:" + (phones.phone_hash(normalised) if normalised else "invalid")


def _days_open(outlet: Outlet, now) -> list[tuple[date, int]]:  # type: ignore[no-untyped-def]
    """(day, meals left) for today — while serving has not ended — and tomorrow."""
    today, tomorrow = timing.bookable_days(now)
    left = quota.meals_left([outlet.id], [today, tomorrow])
    days = [tomorrow] if now >= timing.serving_window(outlet, today)[1] else [today, tomorrow]
    return [(day, left.get((outlet.id, day), 0)) for day in days]


@bp.route("/")
@public
def outlet_list() -> str:
    """Outlets near the chosen street, with the meals left today and tomorrow."""
    street = request.args.get("street", "")[:12]
    street = street if street.isascii() and street.isdigit() else ""
    now = timing.now()
    today, tomorrow = timing.bookable_days(now)
    found = outlets.serving_outlets(street)
    left = quota.meals_left([o.id for o in found], [today, tomorrow])
    over = {o.id for o in found if now >= timing.serving_window(o, today)[1]}
    return render_template("meals/outlets.html", outlets=found, left=left, over=over, today=today,
                           tomorrow=tomorrow, streets=outlets.streets_with_outlets(), street=street)


@bp.route("/outlets/<int:outlet_id>/book", methods=["GET", "POST"])
@public
@limiter.limit(_booking_limit, methods=["POST"])
def book(outlet_id: int) -> str | Response:
    """Book one meal with a phone number; the voucher page follows."""
    outlet = db.get_or_404(Outlet, outlet_id)
    now = timing.now()
    days = _days_open(outlet, now)
    form = BookForm()
    form.day.choices = [SelectChoice(d.isoformat(), _day_label(d, now, left)) for d, left in days if left > 0]
    booked_already = False
    if form.validate_on_submit():
        def show(error: DomainError) -> None:
            nonlocal booked_already
            booked_already = isinstance(error, AlreadyBooked)
            flash(error.message, "error")

        with refusal(show=show) as refused:
            booking = vouchers.book(outlet.id, date.fromisoformat(form.day.data), phone=form.phone.data,
                                    eligibility_code=form.eligibility_code.data or "", now=now)
        if not refused:
            return redirect(url_for("meals.voucher", token=booking.token))
    find_form = FindVoucherForm(phone=form.phone.data) if booked_already else None
    return render_template("meals/book.html", outlet=outlet, form=form, days=days, find_form=find_form)


def _day_label(day: date, now, left: int) -> str:  # type: ignore[no-untyped-def]
    name = _("Today") if day == timing.local_date(now) else _("Tomorrow")
    return _("%(day)s (%(date)s), %(left)s left", day=name, date=f"{day:%m-%d}", left=left)


def _voucher_or_404(token: str) -> Voucher:
    voucher = vouchers.by_token(token[:64])
    if voucher is None:
        abort(404)
    return voucher


def qr_svg(voucher: Voucher) -> Markup:
    """The QR code as inline SVG: it carries the outlet's scan address with the voucher code."""
    return qr.svg(url_for("outlet.scan_code", code=voucher.code, _external=True), _("QR code of your meal"))


@bp.route("/v/<token>")
@public
def voucher(token: str) -> Response:
    """The voucher: QR, short code, where and when; it prints well and can be cancelled."""
    item = _voucher_or_404(token)
    now = timing.now()
    html = render_template("meals/voucher.html", voucher=item, token=token, qr=qr_svg(item),
                           code=codes.display(item.code), form=ActionForm(),
                           can_cancel=vouchers.may_cancel(item, now), shown=vouchers.shown_state(item, now),
                           VoucherStatus=VoucherStatus)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/v/<token>/cancel", methods=["GET", "POST"])
@public
def cancel(token: str) -> str | Response:
    """Give the meal back, so someone else can have it: the page asks first, the button does it."""
    item = _voucher_or_404(token)
    if request.method == "GET":
        if not vouchers.may_cancel(item, timing.now()):
            return redirect(url_for("meals.voucher", token=token))
        return render_template("meals/cancel.html", voucher=item, token=token, code=codes.display(item.code),
                               form=ActionForm())
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusal() as refused:
        vouchers.cancel(item, now=timing.now())
    if not refused:
        flash(_("Cancelled. Thank you for letting someone else have the meal."), "success")
    return redirect(url_for("meals.voucher", token=token))


@bp.route("/find", methods=["GET", "POST"])
@public
@limiter.limit(_booking_limit, methods=["POST"])
@limiter.limit(_finding_limit, methods=["POST"], key_func=_posted_number)
def find() -> str | Response:
    """Lost the voucher page? The phone number brings back the next meal (the code, an older one)."""
    form = FindVoucherForm()
    if form.validate_on_submit():
        with refusal() as refused:
            booking = vouchers.recover(phone=form.phone.data, code=form.code.data or "", now=timing.now())
        if not refused:
            return redirect(url_for("meals.voucher", token=booking.token))
    return render_template("meals/find.html", form=form)


@bp.route("/outlets/<int:outlet_id>/photo")
@public
def outlet_photo(outlet_id: int) -> Response:
    """An outlet's photo (re-encoded without metadata when uploaded)."""
    outlet = db.get_or_404(Outlet, outlet_id)
    if not outlet.photo_key:
        abort(404)
    try:
        data = storage.read(outlet.photo_key)
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype=outlet.photo_type,
                    headers={"Cache-Control": "public, max-age=3600"})
