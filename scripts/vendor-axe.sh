#!/usr/bin/env bash
# Refresh the axe-core build the page checker ships as package data, from the npm registry.
#   scripts/vendor-axe.sh [VERSION]      (default: the version recorded in VERSION below)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/pytest_stonks_sandbox/_pages/vendor
version=${1:-$(cat "$dest/axe-core.VERSION")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$version" >/dev/null)
tar -xzf "$work"/axe-core-*.tgz -C "$work"
cp "$work/package/axe.min.js" "$dest/axe.min.js"
cp "$work/package/LICENSE" "$dest/axe-core.LICENSE"
echo "$version" > "$dest/axe-core.VERSION"
echo "vendored axe-core $version into $dest"
