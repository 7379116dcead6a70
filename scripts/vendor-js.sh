#!/usr/bin/env bash
# Refresh a JavaScript library the plugin ships as package data, from the npm registry.
#   scripts/vendor-js.sh axe|chartjs [VERSION]   (default: the version recorded beside the file)
#     axe      axe-core, the page checker's accessibility rules (_pages/vendor)
#     chartjs  Chart.js, the HTML report's charts (_report/vendor)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    axe) package=axe-core dest=src/pytest_stonks_sandbox/_pages/vendor
         file=axe.min.js licence=LICENSE ;;
    chartjs) package=chart.js dest=src/pytest_stonks_sandbox/_report/vendor
             file=dist/chart.umd.min.js licence=LICENSE.md ;;
    *) echo "usage: scripts/vendor-js.sh axe|chartjs [VERSION]" >&2; exit 2 ;;
esac
version=${2:-$(cat "$dest/$package.VERSION")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$work/$package-$version.tgz" -C "$work"
cp "$work/package/$file" "$dest/$(basename "$file")"
cp "$work/package/$licence" "$dest/$package.LICENSE"
echo "$version" > "$dest/$package.VERSION"
echo "vendored $package $version into $dest"
