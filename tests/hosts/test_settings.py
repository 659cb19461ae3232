"""The settings a site of several hosts relies on, read from the environment."""

from __future__ import annotations

from marketplace import create_app, storage
from marketplace.accounts import throttle
from marketplace.config import load_config


def test_redis_url_is_where_limits_count_unless_a_limit_store_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/1")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379/1"
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    monkeypatch.delenv("REDIS_URL")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_bucket_setting_puts_photos_in_the_bucket_and_throttles_in_redis(monkeypatch, tmp_path):
    monkeypatch.setenv("STORAGE_S3_BUCKET", "photos")
    monkeypatch.setenv("STORAGE_S3_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    with app.app_context():  # made without a connection: create_app does no network
        assert isinstance(storage.store(), storage.S3Store) and storage.store().bucket == "photos"
        assert isinstance(throttle.store(), throttle.RedisStore)
