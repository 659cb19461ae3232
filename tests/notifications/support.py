"""Reading notices as their readers do: who got which kind, the inbox's words in zh and en, its links."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import sign_in

INBOX_LINK = re.compile(r'<li class="unread">\s*<a href="([^"]+)">([^<]*)</a>')


def recipients(kind: str, object_id: int | None = None) -> set[int]:
    """The ids of the users who got a notice of this kind (about this object)."""
    query = sa.select(Notification.user_id).where(Notification.kind == kind)
    if object_id is not None:
        query = query.where(Notification.object_id == object_id)
    return set(db.session.scalars(query))


def notices(user: User, kind: str) -> list[Notification]:
    """One user's notices of one kind, oldest first."""
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id)))


def members(org) -> set[int]:  # type: ignore[no-untyped-def]
    """The ids of an organisation's enabled member accounts."""
    return {m.id for m in org.members if m.is_enabled and m.role == "org_member"}


def inbox(app: Flask, user: User, lang: str = "zh_Hans") -> list[tuple[str, str]]:
    """(link, words) of each unread notice in the user's inbox, read in `lang`, after checking that
    every link opens (200) for this reader."""
    client = app.test_client()
    sign_in(client, user)
    client.get(f"/lang/{lang}")
    page = client.get("/notifications/").get_data(as_text=True)
    found = [(href, words.strip()) for href, words in INBOX_LINK.findall(page)]
    for href, words in found:
        response = client.get(href)
        assert response.status_code == 200, (href, words, response.status_code)
    return found


def words(app: Flask, user: User, lang: str = "zh_Hans") -> str:
    """Every notice's words in the user's inbox, in `lang`, one a line (the links checked too)."""
    import html

    return "\n".join(html.unescape(text) for _href, text in inbox(app, user, lang))
