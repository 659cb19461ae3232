"""The receipt email of a succeeded donation, through the SMTP server the notifications use."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace import money
from marketplace.donations.models import Donation


def send(donation: Donation) -> None:
    """Send one receipt (MAIL_SERVER, MAIL_PORT and MAIL_FROM as for notification emails)."""
    cfg = current_app.config
    with force_locale(cfg["BABEL_DEFAULT_LOCALE"]):
        target = donation.project.title if donation.project else _("the general fund of %(district)s",
                                                                       district=donation.district.name)
        message = EmailMessage()
        message["Subject"] = _("Shanlian: thank you for your gift")
        message["From"] = cfg.get("MAIL_FROM", "noreply@shanlian.local")
        message["To"] = donation.email
        message.set_content(_(
            "Thank you. We received your gift of %(amount)s to %(target)s on %(date)s.\nReference: %(ref)s",
            amount=money.show(donation.amount_fen), target=target,
            date=donation.succeeded_at.date().isoformat() if donation.succeeded_at else "", ref=donation.token,
        ))
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=10) as smtp:
        smtp.send_message(message)
