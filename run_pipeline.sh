#!/usr/bin/env bash
# The Stonks Oracle integration pipeline for any CI system: deploy -> seed -> tests -> teardown.
# Exit codes: 0 all tests passed, 1 test failures, 2 infrastructure failure (or a usage error).
# It always leaves the results contract (inttest-results.json unless --results says otherwise)
# and its HTML report beside it (inttest-report.html unless --html says otherwise).
set -uo pipefail

usage() {
    cat <<'EOF'
usage: run_pipeline.sh [--image-tag TAG] [--namespace NAME] [--skip-teardown]
                       [--backend local|kubernetes] [--results PATH] [--html PATH]
                       [--image-registry REGISTRY] [-- PYTEST_ARGS...]
       run_pipeline.sh --in-cluster --image-tag TAG [--namespace NAME] [--runner-image IMAGE]
                       [--image-registry REGISTRY] [--results PATH] [--html PATH]
                       [-- PYTEST_ARGS...]

  --image-tag TAG     tag of the service images; implies --backend kubernetes
  --namespace NAME    namespace of the sandbox (default stonks-inttest-<run-id>); with
                      --in-cluster the runner Job's namespace, which the sandbox shares
  --skip-teardown     leave the sandbox running (attach later with pytest --sandbox-reuse)
  --backend NAME      local (default: real server processes on this machine) or kubernetes
  --image-registry R  registry in front of the service images (and of the runner image)
  --in-cluster        run pytest itself in the cluster: the runner Job of k8s/runner (a
                      namespace-scoped Role only) in a new namespace, its output streamed here,
                      its results copied back, the namespace deleted (also on Ctrl-C); the
                      exit code is the Job's
  --runner-image IMG  the runner image (default [REGISTRY/]stonks-oracle/inttest-runner:TAG)
  --results PATH      where the JSON results go (default inttest-results.json)
  --html PATH         where the HTML report goes (default inttest-report.html beside the
                      results); written on every path, like the results
  -- PYTEST_ARGS      passed to pytest (e.g. -- -n 2 -k registry); the default test path is
                      tests/integration unless a path or node id is given there
exit codes: 0 passed, 1 test failures, 2 infrastructure failure or bad usage
EOF
}

die_usage() {
    echo "run_pipeline.sh: $1" >&2
    usage >&2
    exit 2
}

cd "$(dirname "$0")" || exit 2
PYTHON="${PYTHON:-python3}"
results="inttest-results.json"
html=""
backend=""
options=()
pytest_args=()
in_cluster=0
skip_teardown=0
image_tag=""
namespace=""
registry=""
runner_image=""

while [ $# -gt 0 ]; do
    case "$1" in
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;  # --option=value
        --image-tag) [ $# -ge 2 ] || die_usage "--image-tag needs a value"
            image_tag="$2"; options+=("--image-tag=$2"); backend="${backend:-kubernetes}"; shift 2 ;;
        --namespace) [ $# -ge 2 ] || die_usage "--namespace needs a value"
            namespace="$2"; options+=("--namespace=$2"); shift 2 ;;
        --skip-teardown) skip_teardown=1; options+=(--skip-teardown); shift ;;
        --image-registry) [ $# -ge 2 ] || die_usage "--image-registry needs a value"
            registry="$2"; options+=("--sandbox-image-registry=$2"); shift 2 ;;
        --in-cluster) in_cluster=1; shift ;;
        --runner-image) [ $# -ge 2 ] || die_usage "--runner-image needs a value"
            runner_image="$2"; shift 2 ;;
        --backend) [ $# -ge 2 ] || die_usage "--backend needs a value"
            backend="$2"; shift 2 ;;
        --results) [ $# -ge 2 ] || die_usage "--results needs a value"
            results="$2"; shift 2 ;;
        --html) [ $# -ge 2 ] || die_usage "--html needs a value"
            html="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; pytest_args=("$@"); break ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
done

[ -z "$runner_image" ] || [ "$in_cluster" = 1 ] || die_usage "--runner-image needs --in-cluster"
[ -n "$html" ] || html="$(dirname -- "$results")/inttest-report.html"

if [ "$in_cluster" = 1 ]; then
    [ -n "$image_tag" ] || die_usage "--in-cluster needs --image-tag (the images under test)"
    [ "$skip_teardown" = 0 ] || die_usage "--in-cluster deletes its namespace; --skip-teardown cannot keep it"
    [ "${backend:-kubernetes}" = kubernetes ] || die_usage "--in-cluster runs the kubernetes backend, not '$backend'"
    rm -f -- "$results" "$html"
    launch=(in-cluster "--image-tag=$image_tag" "--results=$results" "--html=$html")
    [ -z "$namespace" ] || launch+=("--namespace=$namespace")
    [ -z "$registry" ] || launch+=("--image-registry=$registry")
    [ -z "$runner_image" ] || launch+=("--runner-image=$runner_image")
    [ -z "${STONKS_SANDBOX_RUN_ID:-}" ] || launch+=("--run-id=$STONKS_SANDBOX_RUN_ID")
    echo "run_pipeline: in the cluster: python -m pytest_stonks_sandbox ${launch[*]} -- ${pytest_args[*]+"${pytest_args[*]}"}"
    "$PYTHON" -m pytest_stonks_sandbox "${launch[@]}" -- "${pytest_args[@]+"${pytest_args[@]}"}"
    status=$?
else
has_target=0
for arg in "${pytest_args[@]+"${pytest_args[@]}"}"; do
    case "$arg" in
        -*) ;;
        *::*) has_target=1 ;;
        *) [ -e "$arg" ] && has_target=1 ;;
    esac
done
targets=()
[ "$has_target" = 1 ] || targets=(tests/integration)
[ -z "$backend" ] || options+=("--sandbox-backend=$backend")

rm -f -- "$results" "$html"
echo "run_pipeline: pytest --sandbox ${options[*]+"${options[*]}"} --results=$results --sandbox-html=$html ${targets[*]+"${targets[*]}"} ${pytest_args[*]+"${pytest_args[*]}"}"
"$PYTHON" -m pytest --sandbox "${options[@]+"${options[@]}"}" "--results=$results" \
    "--sandbox-html=$html" "${targets[@]+"${targets[@]}"}" "${pytest_args[@]+"${pytest_args[@]}"}"
status=$?
fi

case "$status" in
    0) code=0 ;;
    1) code=1 ;;
    *) code=2 ;;
esac
if [ ! -f "$results" ]; then
    # pytest stopped before the plugin could write the contract (e.g. a usage error).
    "$PYTHON" -m pytest_stonks_sandbox fallback "$results" "$code" \
        "pytest exited with status $status before the sandbox session started; see its output above." \
        || echo "run_pipeline: could not write $results" >&2
fi
if [ -f "$results" ] && [ ! -f "$html" ]; then
    # No report from the session (pytest stopped before it): render one from the contract.
    "$PYTHON" -m pytest_stonks_sandbox report "$results" -o "$html" >/dev/null \
        || echo "run_pipeline: could not write $html" >&2
fi
echo "run_pipeline: exit $code (pytest status $status); results in $results, report in $html"
exit "$code"
