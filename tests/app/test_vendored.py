"""The vendored ECharts is the one scripts/vendor_echarts.sh pins, byte for byte (docs/charts.md)."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import ROOT

VENDOR = ROOT / "static" / "vendor" / "echarts"


def test_vendored_files_match_their_recorded_sums():
    """Nobody edited the library by hand: every file has the sum the script recorded."""
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    sums = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(sums) == {"echarts.min.js", "LICENSE", "NOTICE", "LICENSE-d3", "VERSION"}
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_vendored_version_is_the_pinned_one():
    """The script, the VERSION file and the library itself name the same release."""
    script = (ROOT / "scripts" / "vendor_echarts.sh").read_text()
    pinned = re.search(r'VERSION="\$\{ECHARTS_VERSION:-([\d.]+)\}"', script).group(1)
    assert (VENDOR / "VERSION").read_text().strip() == pinned
    assert f'version="{pinned}"' in (VENDOR / "echarts.min.js").read_text(encoding="utf-8").replace(" ", "")
