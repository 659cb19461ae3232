"""Sign-in throttling: it slows a guesser down, and nobody can use it to lock the owner out.

Failures (a wrong password, a wrong second-factor code) are counted in three buckets:

- **the pair** (account, client address): the 5th failure makes the next attempt wait 1 s, each
  further failure doubles the wait, up to 15 minutes; a complete sign-in empties the pair. The
  owner, signing in from another address, has a pair of their own that an attacker cannot fill.
- **the client address**, over all accounts: the same backoff from its 20th failure, so one address
  cannot try a few passwords on each of many accounts.
- **the account**, over all addresses: never a wait of its own (that would let anyone lock it).
  Past 20 failures the account is under attack, and its pairs wait from their first failure on
  instead of their fifth: a guesser spread over many addresses is slowed at each of them, while
  an address that has not failed always gets its attempt.

A bucket forgets its failures an hour after the last one. Waits compare the stored time of the last
failure with `clock.now()`, so tests move the clock instead of sleeping. A throttled attempt is
refused before any password or code is checked, and is not counted.

The buckets live in Redis when RATELIMIT_STORAGE_URI names one (every worker sees the same counts),
else in the process's memory (`make run`, tests). Their names are keyed hashes: no email or address
is stored. When the store cannot be reached nothing is throttled and a warning is logged, so
sign-in stays open. `limiter.enabled` (RATELIMIT_ENABLED) switches the throttle off with the
app's other limits.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Protocol

import redis
from flask import Flask, current_app
from flask_babel import ngettext

from marketplace import clock
from marketplace.accounts.digests import keyed_hash
from marketplace.errors import DomainError
from marketplace.extensions import limiter

EXTENSION = "shanlian_sign_in_throttle"
WAIT_AFTER = 5  # a pair's failures before its first wait
CLIENT_WAIT_AFTER = 20  # a client address's failures, over all accounts, before its first wait
UNDER_ATTACK = 20  # an account's failures, over all addresses, after which its pairs wait from the first
FIRST_WAIT = 1.0  # seconds; doubled by each further failure
LONGEST_WAIT = 15 * 60
FORGET_AFTER = 60 * 60  # a bucket forgets its failures this long after the last one
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Throttled(DomainError):
    """Too many failures: the attempt was refused unchecked; `seconds` says how long to wait."""

    def __init__(self, seconds: int, *, first: bool) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.first = first  # the first refusal of this wait: the audit log records one per wait
        self.message = ngettext(
            "Too many attempts, try again in %(num)d second.", "Too many attempts, try again in %(num)d seconds.",
            seconds,
        )


@dataclass(frozen=True)
class Attempt:
    """The buckets one attempt counts in: keyed hashes of the email typed and of the client address."""

    account: str
    client: str

    @classmethod
    def of(cls, normalised_email: str, client_address: str) -> Attempt:
        """The attempt on an (already normalised) email from a client address."""
        return cls(keyed_hash("throttle-account", normalised_email)[:32],
                   keyed_hash("throttle-client", client_address)[:32])

    def keys(self) -> tuple[str, str, str]:
        """The names of its pair, client and account buckets."""
        return f"pair:{self.account}:{self.client}", f"client:{self.client}", f"account:{self.account}"


@dataclass(frozen=True)
class Bucket:
    """Failures counted under one name, the time of the last one, and the count last reported."""

    failures: int = 0
    last: float = 0.0  # POSIX time, from clock.now()
    noted: int = 0

    def live(self, now: float) -> int:
        """The failures still remembered at `now`."""
        return self.failures if now - self.last < FORGET_AFTER else 0

    def until(self, now: float, wait_after: int) -> float:
        """When the next attempt may come (0.0: at once), waiting from the `wait_after`-th failure on."""
        failures = self.live(now)
        if failures < wait_after:
            return 0.0
        return self.last + min(LONGEST_WAIT, FIRST_WAIT * 2 ** min(failures - wait_after, 30))


class Store(Protocol):
    """Where buckets are kept."""

    def read(self, keys: tuple[str, ...]) -> list[Bucket]: ...
    def fail(self, keys: tuple[str, ...], now: float) -> None: ...
    def note(self, key: str, failures: int) -> bool: ...
    def forget(self, key: str) -> None: ...
    def clear(self) -> None: ...


class MemoryStore:
    """Buckets in this process's memory: one process only (`make run`, tests)."""

    LIMIT = 100_000  # buckets kept before forgotten (then the oldest) ones are dropped

    def __init__(self) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def read(self, keys: tuple[str, ...]) -> list[Bucket]:
        """The buckets under these names (empty ones where none is kept)."""
        with self._lock:
            return [self._buckets.get(key, Bucket()) for key in keys]

    def fail(self, keys: tuple[str, ...], now: float) -> None:
        """Count one failure at `now` in each bucket."""
        with self._lock:
            for key in keys:
                old = self._buckets.get(key, Bucket())
                live = old.live(now)
                self._buckets[key] = Bucket(live + 1, now, old.noted if live else 0)
            if len(self._buckets) > self.LIMIT:
                self._prune(now)

    def _prune(self, now: float) -> None:
        kept = sorted((b.last, k) for k, b in self._buckets.items() if b.live(now))[-self.LIMIT // 2:]
        self._buckets = {k: self._buckets[k] for _last, k in kept}

    def note(self, key: str, failures: int) -> bool:
        """Mark this count's wait as reported; False when it already was."""
        with self._lock:
            old = self._buckets.get(key)
            if old is None or old.noted == failures:
                return False
            self._buckets[key] = replace(old, noted=failures)
            return True

    def forget(self, key: str) -> None:
        """Empty one bucket."""
        with self._lock:
            self._buckets.pop(key, None)

    def clear(self) -> None:
        """Empty every bucket."""
        with self._lock:
            self._buckets.clear()


# One failure in each bucket, atomically: a bucket past its memory starts again from nothing.
_FAIL = """
for _, key in ipairs(KEYS) do
  local last = tonumber(redis.call('HGET', key, 'last') or '0')
  if tonumber(ARGV[1]) - last >= tonumber(ARGV[2]) then redis.call('DEL', key) end
  redis.call('HINCRBY', key, 'failures', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('EXPIRE', key, ARGV[3])
end
return 1
"""
_NOTE = """
if not redis.call('HGET', KEYS[1], 'failures') or redis.call('HGET', KEYS[1], 'noted') == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'noted', ARGV[1])
return 1
"""


class RedisStore:
    """Buckets in Redis, shared by every worker and host (hashes that expire when forgotten)."""

    def __init__(self, url: str, prefix: str) -> None:
        # Short timeouts: a sign-in must not hang on a dead store (it is served unthrottled instead).
        self.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix
        self._fail = self.redis.register_script(_FAIL)
        self._note = self.redis.register_script(_NOTE)

    def _name(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def read(self, keys: tuple[str, ...]) -> list[Bucket]:
        """The buckets under these names (empty ones where none is kept)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._name(key), "failures", "last", "noted")
        return [Bucket(int(f or 0), float(last or 0), int(noted or 0)) for f, last, noted in pipe.execute()]

    def fail(self, keys: tuple[str, ...], now: float) -> None:
        """Count one failure at `now` in each bucket."""
        self._fail(keys=[self._name(k) for k in keys], args=[repr(now), FORGET_AFTER, FORGET_AFTER + LONGEST_WAIT])

    def note(self, key: str, failures: int) -> bool:
        """Mark this count's wait as reported; False when it already was."""
        return bool(self._note(keys=[self._name(key)], args=[str(failures)]))

    def forget(self, key: str) -> None:
        """Empty one bucket."""
        self.redis.delete(self._name(key))

    def clear(self) -> None:
        """Empty every bucket under this store's prefix."""
        names = list(self.redis.scan_iter(match=f"{self.prefix}:*", count=500))
        if names:
            self.redis.delete(*names)


def init_app(app: Flask) -> None:
    """Choose the app's store from RATELIMIT_STORAGE_URI (Redis is connected lazily: no network here)."""
    url = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if url.startswith(REDIS_SCHEMES):
        store: Store = RedisStore(url, app.config.get("SIGN_IN_THROTTLE_PREFIX", "shanlian-signin"))
    elif url.startswith("memory://"):
        store = MemoryStore()
    else:
        raise RuntimeError(f"the sign-in throttle keeps its counts in memory:// or redis://, not {url.split(':')[0]}")
    app.extensions[EXTENSION] = store


def store() -> Store:
    """The current app's store."""
    return current_app.extensions[EXTENSION]


def _now() -> float:
    return clock.now().timestamp()


def _unavailable() -> None:
    current_app.logger.warning("sign-in throttle storage unavailable: attempt not throttled", exc_info=True)


def check(attempt: Attempt) -> None:
    """Refuse the attempt with `Throttled` while one of its buckets makes it wait; counts nothing."""
    if not limiter.enabled:
        return
    now = _now()
    pair_key, client_key, _account_key = attempt.keys()
    try:
        pair, client, account = store().read(attempt.keys())
        pair_after = 1 if account.live(now) >= UNDER_ATTACK else WAIT_AFTER
        until, key, bucket = max(
            (pair.until(now, pair_after), pair_key, pair), (client.until(now, CLIENT_WAIT_AFTER), client_key, client),
            key=lambda wait: wait[0],
        )
        if until <= now:
            return
        first = store().note(key, bucket.failures)
    except redis.RedisError:
        _unavailable()
        return
    raise Throttled(math.ceil(until - now), first=first)


def failed(attempt: Attempt) -> None:
    """Count a failed attempt in its pair, client and account buckets."""
    if not limiter.enabled:
        return
    try:
        store().fail(attempt.keys(), _now())
    except redis.RedisError:
        _unavailable()


def succeeded(attempt: Attempt) -> None:
    """A complete sign-in: this client's failures on this account are forgotten (the others stay)."""
    if not limiter.enabled:
        return
    try:
        store().forget(attempt.keys()[0])
    except redis.RedisError:
        _unavailable()
