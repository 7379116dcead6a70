#!/bin/sh
# The runner Job's container (k8s/runner/runner.yaml): the pipeline against a sandbox in the
# pod's own namespace, reached through cluster DNS. Arguments go to run_pipeline.sh after the
# fixed ones (e.g. -- -n 2 --sandbox-manifests=k8s/node).
# With STONKS_RUNNER_HOLD_S > 0 (run_pipeline.sh --in-cluster sets it) the container waits, at
# most that long, until the launcher has copied /results and touched /results/fetched; without
# it the log ends with the JSON results contract. Exit code: the pipeline's (0/1/2).
cd /opt/inttest || exit 2
./run_pipeline.sh --image-tag "$IMAGE_TAG" --namespace "$POD_NAMESPACE" \
    --results /results/inttest-results.json "$@"
code=$?
echo "$code" >/results/exit-code
hold="${STONKS_RUNNER_HOLD_S:-0}"
if [ "$hold" -gt 0 ]; then
    echo "stonks-runner: finished with exit $code; waiting up to $hold s for /results to be fetched"
    waited=0
    while [ ! -e /results/fetched ] && [ "$waited" -lt "$hold" ]; do
        sleep 1
        waited=$((waited + 1))
    done
else
    cat /results/inttest-results.json
fi
exit "$code"
