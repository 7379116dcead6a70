#!/usr/bin/env bash
# Refresh the Chart.js build the HTML report inlines (package data), from the npm registry.
#   scripts/vendor-chartjs.sh [VERSION]      (default: the version recorded in chart.js.VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/pytest_stonks_sandbox/_report/vendor
version=${1:-$(cat "$dest/chart.js.VERSION")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "chart.js@$version" >/dev/null)
tar -xzf "$work"/chart.js-*.tgz -C "$work"
cp "$work/package/dist/chart.umd.min.js" "$dest/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$dest/chart.js.LICENSE"
echo "$version" > "$dest/chart.js.VERSION"
echo "vendored chart.js $version into $dest"
