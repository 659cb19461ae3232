#!/bin/sh
# Vendor Apache ECharts into static/vendor/echarts/ from the npm registry (no CDN: the CSP allows
# scripts from our own origin only, and the pages must work on an intranet).
#
# Reproducible: the version and the registry's integrity hash are pinned here; npm pack checks the
# tarball against that hash, and this script refuses a tarball whose hash differs. Only the
# browser build and its licence files are kept; node_modules is never created.
#
#   scripts/vendor_echarts.sh            # re-extract the pinned version, print the sha256 sums
#   ECHARTS_VERSION=x.y.z ECHARTS_INTEGRITY=sha512-... scripts/vendor_echarts.sh   # an upgrade
set -eu

VERSION="${ECHARTS_VERSION:-6.1.0}"
INTEGRITY="${ECHARTS_INTEGRITY:-sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/static/vendor/echarts"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack "echarts@$VERSION" --silent > /dev/null
TARBALL="echarts-$VERSION.tgz"
GOT="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | openssl base64 -A)"
if [ "$GOT" != "$INTEGRITY" ]; then
    echo "echarts@$VERSION: integrity $GOT, expected $INTEGRITY" >&2
    exit 1
fi

# LICENSE is Apache-2.0; NOTICE must travel with it (licence section 4d); the build includes code
# from d3, whose licence the package keeps in licenses/.
tar -xzf "$TARBALL" package/dist/echarts.min.js package/LICENSE package/NOTICE package/licenses/LICENSE-d3
mkdir -p "$TARGET"
cp package/dist/echarts.min.js package/LICENSE package/NOTICE "$TARGET/"
cp package/licenses/LICENSE-d3 "$TARGET/LICENSE-d3"
printf '%s\n' "$VERSION" > "$TARGET/VERSION"

# The sums are committed too: tests/app/test_vendored.py fails if a vendored file is edited by hand.
cd "$TARGET"
sha256sum echarts.min.js LICENSE NOTICE LICENSE-d3 VERSION | tee SHA256SUMS
