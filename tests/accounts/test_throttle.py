"""Sign-in throttling: a guesser waits longer and longer, and nobody can lock the owner out.

Every test runs with the counts in memory and in the real Redis (`throttling`), on each database,
with the clock fixed: waits are passed by moving the clock, never by sleeping.
"""

from __future__ import annotations

import redis
import sqlalchemy as sa

from marketplace.accounts import throttle
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from tests.accounts.support import attempt
from tests.conftest import PASSWORD, make_user

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def _try(client, email, password="wrong-password", *, ip=ATTACKER):  # type: ignore[no-untyped-def]
    """One attempt, from the attacker's address unless another is named."""
    return attempt(client, email, password, ip=ip)


def _fail(client, email, times, *, ip=ATTACKER):  # type: ignore[no-untyped-def]
    for _ in range(times):
        assert _try(client, email, ip=ip).status_code == 200


def _wait(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    return int(response.headers["Retry-After"])


def test_the_fifth_failure_makes_the_next_attempt_wait_and_each_further_one_doubles_the_wait(
        client, throttling, clock):
    user = make_user(Role.STAFF)
    _fail(client, user.email, 5)
    waits = []
    for _ in range(12):
        waits.append(_wait(_try(client, user.email)))
        clock.advance(waits[-1])  # the wait is over: the next attempt is checked (and fails)
        assert _try(client, user.email).status_code == 200
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]  # at most 15 minutes


def test_a_throttled_attempt_is_refused_unchecked_with_the_sign_in_page(client, throttling, clock):
    user = make_user(Role.STAFF)
    _fail(client, user.email, 5)
    refused = _try(client, user.email, PASSWORD)  # even the right password waits
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many attempts, try again in 1 second." in page and 'name="password"' in page
    clock.advance(0.5)
    assert "try again in 1 second." in _try(client, user.email, PASSWORD).get_data(as_text=True)
    clock.advance(0.5)
    assert _try(client, user.email, PASSWORD).status_code == 302


def test_a_sign_in_empties_the_pair(client, throttling, clock):
    user = make_user(Role.STAFF)
    _fail(client, user.email, 4)
    assert _try(client, user.email, PASSWORD, ip=ATTACKER).status_code == 302
    client.post("/logout")
    _fail(client, user.email, 4)  # counted from nothing again: no wait yet
    assert _try(client, user.email, ip=ATTACKER).status_code == 200
    assert _wait(_try(client, user.email, ip=ATTACKER)) == 1


def test_the_owner_is_not_locked_out_by_an_attackers_failures_from_another_address(app, client, throttling, clock):
    user = make_user(Role.STAFF)
    codes = [_try(client, user.email, ip=ATTACKER).status_code for _ in range(60)]
    owner = app.test_client()
    assert _try(owner, user.email, PASSWORD, ip=OWNER).status_code == 302
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}  # while the attacker waits


def test_a_guesser_spread_over_many_addresses_waits_at_each_but_the_owner_signs_in(app, client, throttling, clock):
    user = make_user(Role.STAFF)
    for n in range(throttle.UNDER_ATTACK):  # one failure from each of 20 addresses: the account is under attack
        assert _try(client, user.email, ip=f"192.0.2.{n + 1}").status_code == 200
    # now every address waits from its first failure on, instead of its fifth
    assert _try(client, user.email, ip="192.0.2.200").status_code == 200
    assert _wait(_try(client, user.email, ip="192.0.2.200")) == 1
    # ...which only slows: the owner's first try from their own address goes through
    assert _try(app.test_client(), user.email, PASSWORD, ip=OWNER).status_code == 302
    # and the owner who mistypes waits a second, never more than the backoff of their own failures
    other = make_user(Role.STAFF)
    for n in range(throttle.UNDER_ATTACK):
        _try(client, other.email, ip=f"192.0.2.{n + 1}")
    assert _try(client, other.email, ip=OWNER).status_code == 200
    assert _wait(_try(client, other.email, PASSWORD, ip=OWNER)) == 1
    clock.advance(1)
    assert _try(client, other.email, PASSWORD, ip=OWNER).status_code == 302


def test_one_address_trying_many_accounts_is_slowed(client, throttling, clock):
    emails = [make_user(Role.STAFF).email for _ in range(throttle.CLIENT_WAIT_AFTER)]
    for email in emails:  # a few guesses per account stay below each pair's threshold...
        assert _try(client, email).status_code == 200
    fresh = make_user(Role.STAFF)  # ...but the address as a whole now waits, even on a fresh account
    assert _wait(_try(client, fresh.email)) == 1
    assert _try(client, fresh.email, PASSWORD, ip=OWNER).status_code == 302  # elsewhere: untouched


def test_unknown_emails_are_throttled_like_known_ones(client, throttling, clock):
    _fail(client, "nobody@example.cn", 5)
    assert _wait(_try(client, "Nobody@Example.CN")) == 1  # the same email, however it is typed


def test_failures_are_forgotten_an_hour_after_the_last(client, throttling, clock):
    user = make_user(Role.STAFF)
    _fail(client, user.email, 5)
    clock.advance(throttle.FORGET_AFTER)
    _fail(client, user.email, 4)  # counted from nothing
    assert _try(client, user.email).status_code == 200
    assert _wait(_try(client, user.email)) == 1


def test_a_throttled_wait_is_audited_once_without_the_email_typed(client, throttling, clock):
    user = make_user(Role.STAFF)
    _fail(client, user.email, 5)
    for _ in range(3):
        assert _try(client, user.email).status_code == 429
    _fail(client, "nobody@example.cn", 5)
    _try(client, "nobody@example.cn")
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login_throttled")
                              .order_by(AuditEvent.id)).all()
    assert [(r.object_id, r.after) for r in rows] == [(str(user.id), {"wait_seconds": 1}), ("", {"wait_seconds": 1})]
    assert rows[0].actor_label == user.email and rows[1].actor_label.startswith("email#")
    assert all(r.ip == ATTACKER for r in rows)


def test_in_redis_the_counts_are_shared_and_name_no_email_or_address(app, client, throttling, clock):
    if throttling != "redis":
        return
    user = make_user(Role.STAFF)
    _fail(client, user.email, 5)
    names = [n.decode() for n in redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"]).keys(
        f"{app.config['SIGN_IN_THROTTLE_PREFIX']}:*")]
    assert len(names) == 3 and not any(user.email in n or ATTACKER in n for n in names)
    # another worker (a new store on the same Redis) sees the same counts
    throttle.init_app(app)
    assert _wait(_try(client, user.email)) == 1


def test_an_unreachable_store_throttles_nothing(app, client, clock):
    before = app.config["RATELIMIT_STORAGE_URI"]
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    throttle.init_app(app)
    limiter.enabled = True
    try:
        user = make_user(Role.STAFF)
        assert [_try(client, user.email).status_code for _ in range(7)] == [200] * 7
        assert _try(client, user.email, PASSWORD).status_code == 302
    finally:
        limiter.enabled = False
        app.config["RATELIMIT_STORAGE_URI"] = before
        throttle.init_app(app)
