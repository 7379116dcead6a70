#!/usr/bin/env bash
# Measure a build of the kwok cluster binaries: wall time, the largest single process
# (GNU time's "Maximum resident set size") and the peak summed RSS of the whole build process
# tree (sampled every second). Use STONKS_KWOK_CACHE=/some/empty/dir for a cold build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
report="$(mktemp)"
/usr/bin/time -v -o "$report" "$here/../kwok-cluster.sh" build &
root=$!
peak=0
while kill -0 "$root" 2>/dev/null; do
  # sum the RSS (KiB) of $root and all of its descendants
  total="$(ps -e -o pid=,ppid=,rss= | awk -v root="$root" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      for (p in parent) {
        q = p; n = 0
        while (q != "" && q != 0 && n < 64) { if (q == root) { sum += rss[p]; break } q = parent[q]; n++ }
      }
      print sum + 0
    }')"
  (( total > peak )) && peak=$total
  sleep 1
done
rc=0; wait "$root" || rc=$?
grep -E 'Elapsed \(wall clock\)|Maximum resident set size|Exit status' "$report" || true
echo "Peak summed RSS of the build process tree: $((peak / 1024)) MiB"
rm -f "$report"
exit "$rc"
