"""Two hosts: two gunicorn servers (separate processes, two workers each, the committed
scripts/gunicorn.conf.py) sharing PostgreSQL, Redis and an S3 bucket, as production runs them.

What a person would notice if a host kept something to itself: a photo uploaded through one host
that the other cannot show, a sign-in that the other host does not know, two organisations both
told they took the same need, limits that let twice as many attempts through. The browser here is
`requests` with CSRF tokens read from the forms, as on the real pages.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from marketplace import clock, create_app
from marketplace.extensions import db
from marketplace.needs.models import Claim, Evidence, Need
from marketplace.regions.service import import_regions
from tests.accounts.conftest import redis_url
from tests.conftest import (
    PASSWORD,
    REGIONS_CSV,
    ROOT,
    app_config,
    drop_schema,
    make_need,
    make_org,
    postgres_url,
    private_schema_url,
    tiny_jpeg,
)
from tests.hosts.conftest import BUCKET, free_ports, s3_client, s3_config

START_SECONDS = 90
RESET_LIMIT = 6  # forgot-password posts per client address, counted over both hosts


@dataclass
class Host:
    """One running web server."""

    url: str
    process: subprocess.Popen
    log: Path
    evidence_dir: Path


@dataclass
class Site:
    """The two hosts and what they share; `app` reads and writes the shared database for the test."""

    app: Flask
    hosts: list[Host]
    s3_endpoint: str
    prefix: str


def _start_host(port: int, env: dict[str, str], root: Path, name: str) -> Host:
    evidence_dir = root / f"{name}-local-folder"  # must stay empty: photos go to the bucket
    log = root / f"{name}.log"
    with log.open("wb") as output:  # the server keeps its own copy of the handle
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "scripts" / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
                           "EVIDENCE_DIR": str(evidence_dir)},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Host(f"http://127.0.0.1:{port}", process, log, evidence_dir)


def _wait_until_serving(host: Host) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if host.process.poll() is not None:
            pytest.fail(f"{host.url} exited:\n{host.log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(f"{host.url}/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"{host.url} did not serve within {START_SECONDS} s:\n{host.log.read_text(errors='replace')[-3000:]}")


def _stop(host: Host) -> None:
    if host.process.poll() is None:
        os.killpg(host.process.pid, signal.SIGTERM)
    try:
        host.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(host.process.pid, signal.SIGKILL)
        host.process.wait()


@pytest.fixture(scope="module")
def site(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated PostgreSQL schema of its own, a Redis prefix of its own, the bucket, two hosts."""
    base = postgres_url()
    redis_at = redis_url()
    schema = f"hosts_test_{os.getpid()}"
    url = private_schema_url(base, schema)
    tag = f"hosts-test-{os.getpid()}-{secrets.token_hex(4)}"
    prefix = f"{tag}/"
    shared = {"DATABASE_URL": url, "SECRET_KEY": "two-hosts-secret", "HASH_KEY": "two-hosts-hash-key",
              "RATELIMIT_STORAGE_URI": redis_at, "RATELIMIT_KEY_PREFIX": tag, "SIGN_IN_THROTTLE_PREFIX": tag,
              "SESSION_COOKIE_SECURE": "0", "REQUIRE_SECOND_FACTOR": "0", "MAIL_SERVER": "", "MAIL_ECHO": "0",
              "PASSWORD_RESET_CLIENT_RATE_LIMIT": f"{RESET_LIMIT} per hour",
              "PASSWORD_RESET_RATE_LIMIT": "100 per hour", **s3_config(s3_endpoint, prefix)}
    app = create_app({**app_config(url), "SECRET_KEY": shared["SECRET_KEY"], "HASH_KEY": shared["HASH_KEY"],
                      **s3_config(s3_endpoint, prefix)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import_regions(REGIONS_CSV.read_text(encoding="utf-8"))
        db.session.commit()
    root = tmp_path_factory.mktemp("hosts")
    hosts = [_start_host(port, shared, root, name) for port, name in zip(free_ports(2), ("a", "b"), strict=True)]
    try:
        for host in hosts:
            _wait_until_serving(host)
        yield Site(app, hosts, s3_endpoint, prefix)
    finally:
        for host in hosts:
            _stop(host)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_schema(base, schema)
        store = redis.Redis.from_url(redis_at)
        names = list(store.scan_iter(match=f"*{tag}*", count=500))
        if names:
            store.delete(*names)


@pytest.fixture
def data(site: Site) -> Iterator[None]:
    """An app context on the shared database for the test's own reads and writes."""
    with site.app.app_context():
        yield
        db.session.rollback()


def _csrf(page: requests.Response) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page.text)
    assert tag, page.text[:500]
    return re.search(r'value="([^"]+)"', tag.group(0)).group(1)  # type: ignore[union-attr]


def _sign_in(browser: requests.Session, host: Host, email: str, password: str = PASSWORD) -> requests.Response:
    token = _csrf(browser.get(f"{host.url}/login", timeout=30))
    return browser.post(f"{host.url}/login", data={"csrf_token": token, "email": email, "password": password},
                        allow_redirects=False, timeout=30)


def _fresh() -> None:
    db.session.rollback()  # a new snapshot: the hosts wrote since


def test_a_sign_in_on_one_host_holds_on_the_other(site, data):
    a, b = site.hosts
    member = make_org().members[0]
    browser = requests.Session()
    assert browser.get(f"{b.url}/org/claims", allow_redirects=False, timeout=30).status_code == 302  # not yet

    assert _sign_in(browser, a, member.email).status_code == 302
    mine = browser.get(f"{b.url}/org/claims", allow_redirects=False, timeout=30)
    assert mine.status_code == 200 and 'action="/logout"' in mine.text  # its own page, signed in

    # And signing out on the other host ends it everywhere.
    token = _csrf(browser.get(f"{b.url}/org/claims", timeout=30))
    assert browser.post(f"{b.url}/logout", data={"csrf_token": token}, allow_redirects=False,
                        timeout=30).status_code == 302
    assert browser.get(f"{a.url}/org/claims", allow_redirects=False, timeout=30).status_code == 302


def test_a_photo_uploaded_through_one_host_is_served_by_the_other(site, data):
    a, b = site.hosts
    org = make_org()
    need = make_need("claimed", org=org)
    browser = requests.Session()
    assert _sign_in(browser, a, org.members[0].email).status_code == 302
    token = _csrf(browser.get(f"{a.url}/needs/{need.id}", timeout=30))
    upload = browser.post(f"{a.url}/needs/{need.id}/evidence", data={"csrf_token": token, "kind": "photo"},
                          files={"file": ("delivered.jpg", io.BytesIO(tiny_jpeg(exif=True)), "image/jpeg")},
                          allow_redirects=False, timeout=60)
    assert upload.status_code == 302
    _fresh()
    evidence = db.session.scalar(sa.select(Evidence).where(Evidence.need_id == need.id))
    assert evidence is not None and evidence.file_key

    served = browser.get(f"{b.url}/evidence/{evidence.id}", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    kept = s3_client(site.s3_endpoint).get_object(Bucket=BUCKET, Key=site.prefix + evidence.file_key)["Body"].read()
    assert served.content == kept and b"PhoneMaker" not in kept  # rebuilt from pixels before it was stored
    assert requests.get(f"{b.url}/evidence/{evidence.id}", allow_redirects=False,
                        timeout=30).status_code != 200  # still not for a stranger
    for host in site.hosts:
        assert not host.evidence_dir.exists() or not any(host.evidence_dir.iterdir())


def test_two_organisations_claiming_one_need_through_the_two_hosts_at_once_give_one_winner(site, data):
    a, b = site.hosts
    first, second = make_org(), make_org()
    needs = [make_need("published") for _ in range(4)]
    browsers = []
    for org, host in ((first, a), (second, b)):
        browser = requests.Session()
        assert _sign_in(browser, host, org.members[0].email).status_code == 302
        browsers.append((browser, host))
    promised = (clock.today() + timedelta(days=5)).isoformat()
    tokens = [_csrf(browser.get(f"{host.url}/needs/{needs[0].id}", timeout=30)) for browser, host in browsers]
    need_ids = [need.id for need in needs]

    answers: list[int] = []
    for need_id in need_ids:
        barrier = threading.Barrier(2)

        def claim(index: int, need_id: int = need_id, barrier: threading.Barrier = barrier) -> None:
            browser, host = browsers[index]
            barrier.wait(timeout=30)
            answer = browser.post(f"{host.url}/needs/{need_id}/claim",
                                  data={"csrf_token": tokens[index], "promised_by": promised},
                                  allow_redirects=False, timeout=60)
            answers.append(answer.status_code)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)

    assert answers == [302] * 8  # each told on its page (won, or "just taken by another"), never a 500
    _fresh()
    for need_id in need_ids:
        claims = db.session.scalars(sa.select(Claim).where(Claim.need_id == need_id)).all()
        assert len(claims) == 1, need_id
        assert db.session.get(Need, need_id).claimed_by_id == claims[0].organisation_id
        assert claims[0].organisation_id in (first.id, second.id)


def test_rate_limits_count_across_both_hosts(site, data):
    a, b = site.hosts
    browsers = {host.url: requests.Session() for host in site.hosts}
    tokens = {url: _csrf(browser.get(f"{url}/password/forgot", timeout=30)) for url, browser in browsers.items()}

    def ask(host: Host, n: int) -> int:
        return browsers[host.url].post(f"{host.url}/password/forgot",
                                       data={"csrf_token": tokens[host.url], "email": f"nobody{n}@example.cn"},
                                       allow_redirects=False, timeout=30).status_code

    # Half the client's allowance through each host: all let through.
    assert [ask(host, n) for n, host in enumerate([a, b] * (RESET_LIMIT // 2))] == [302] * RESET_LIMIT
    # Counted together, the allowance is used up on both (alone, each host would allow as many again).
    assert ask(a, 100) == 429
    assert ask(b, 101) == 429


def test_the_sign_in_throttle_counts_failures_on_both_hosts(site, data):
    a, b = site.hosts
    member = make_org().members[0]
    browser = requests.Session()
    failures = 0
    attempts = 0
    # Wrong passwords, by turns on each host; waits asked for are waited out (1 s, 2 s, 4 s), so
    # each failure counts. Eight failures in all, four on each host: alone, neither would make anyone wait.
    while failures < 8:
        attempts += 1
        assert attempts < 30
        answer = _sign_in(browser, site.hosts[failures % 2], member.email, "Wrong-Password-0000")
        if answer.status_code == 429:
            time.sleep(int(answer.headers["Retry-After"]) + 0.2)
            continue
        assert answer.status_code == 200
        failures += 1
    # Now the next attempt waits 8 s, on whichever host it comes to, even with the right password.
    for host in (a, b):
        refused = _sign_in(browser, host, member.email)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
