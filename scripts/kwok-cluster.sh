#!/usr/bin/env bash
# A real Kubernetes control plane for tests, built from the Go module proxy and run with kwok.
#
#   scripts/kwok-cluster.sh build    build (or reuse) every binary into the cache
#   scripts/kwok-cluster.sh up       build if needed, start the cluster, write the kubeconfig
#   scripts/kwok-cluster.sh env      print `export KUBECONFIG=...` (eval "$(... env)")
#   scripts/kwok-cluster.sh status   show the cluster's processes and nodes
#   scripts/kwok-cluster.sh down     delete the cluster and stop every process `up` started
#
# Nothing is downloaded except Go modules from the module proxy. Everything listens on 127.0.0.1.
# See docs/kubernetes-cluster.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELPERS="$SCRIPT_DIR/kwok"
FREE_PORTS="$SCRIPT_DIR/../src/pytest_stonks_sandbox/_backends/local/freeports.py"
# shellcheck source-path=SCRIPTDIR source=kwok/versions.env
. "$HELPERS/versions.env"

CACHE="${STONKS_KWOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stonks-sandbox/kwok}"
CLUSTER="${STONKS_KWOK_CLUSTER:-stonks}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
GO_PARALLEL="${STONKS_KWOK_GO_PARALLEL:-2}"
BUILD_LOG="$CACHE/build.log"

KUBE_MINOR="${KUBE_VERSION#v1.}"; KUBE_MINOR="${KUBE_MINOR%%.*}"
KUBE_BIN="$CACHE/bin/kubernetes-$KUBE_VERSION"
ETCD_BIN="$CACHE/bin/etcd-$ETCD_VERSION"
KWOK_BIN="$CACHE/bin/kwok-$KWOK_VERSION"
METRICS_BIN="$CACHE/bin/metrics-server-$METRICS_SERVER_VERSION"

# Runtime state of the cluster (kwokctl's own workdir, our pid files, kubeconfig).
RUN_DIR="$CACHE/run/$CLUSTER"
KWOK_WORKDIR="$RUN_DIR/kwok-home"
KUBECONFIG_OUT="${STONKS_KWOK_KUBECONFIG:-$RUN_DIR/kubeconfig}"

log() { printf '[kwok-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[kwok-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------

go_env() {
  export GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache" GOFLAGS="-modcacherw -buildvcs=false"
  export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
}

check_go() {
  [[ -x "$GO" ]] || die "Go not found (looked for 'go' in PATH and /usr/local/go/bin/go). Install Go >= 1.26 or set GO=/path/to/go."
  local v
  v="$("$GO" env GOVERSION)"
  case "$v" in
    go1.2[6-9]*|go1.[3-9]*) ;;
    *) die "$GO is $v; kwok $KWOK_VERSION and Kubernetes $KUBE_VERSION need Go >= 1.26. Set GO=/path/to/newer/go." ;;
  esac
}

# in_dir_logged <what> <dir> <command...>: run a command in <dir> with its output appended to the
# build log, printing a progress line every minute so a long cold build does not look hung.
in_dir_logged() {
  local what="$1" dir="$2"; shift 2
  (cd "$dir" && exec "$@") >>"$BUILD_LOG" 2>&1 &
  local pid=$! start=$SECONDS next=60
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - start >= next)); then
      log "  ... $what: $(((SECONDS - start) / 60)) min so far"
      next=$((next + 60))
    fi
  done
  wait "$pid" || die "$what failed; see the end of $BUILD_LOG"
}

# go_build <dir> <out-dir> <ldflags> <package...>: `go build` under nice with limited parallelism.
go_build() {
  local dir="$1" out="$2" ldflags="$3"; shift 3
  mkdir -p "$out.tmp"
  in_dir_logged "go build $*" "$dir" \
    nice -n 10 "$GO" build -p "$GO_PARALLEL" -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp/" "$@"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# write a wrapper module in $1 with the given go.mod body
wrapper_module() {
  local dir="$1" body="$2"
  rm -rf "$dir" && mkdir -p "$dir"
  printf '%s\n' "$body" >"$dir/go.mod"
  printf 'package wrapper\n' >"$dir/doc.go"
}

build_kwok() {
  [[ -x "$KWOK_BIN/kwok" && -x "$KWOK_BIN/kwokctl" ]] && return 0
  log "building kwok + kwokctl $KWOK_VERSION"
  local dir="$CACHE/src/kwok-$KWOK_VERSION"
  wrapper_module "$dir" "module stonks.local/kwokbuild

go 1.26.0

require sigs.k8s.io/kwok $KWOK_VERSION

tool (
	sigs.k8s.io/kwok/cmd/kwok
	sigs.k8s.io/kwok/cmd/kwokctl
)"
  in_dir_logged "go mod tidy for kwok" "$dir" "$GO" mod tidy
  go_build "$dir" "$KWOK_BIN" "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION#v}" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  check_version "$KWOK_BIN/kwokctl" "$KWOK_VERSION"
  check_version "$KWOK_BIN/kwok" "$KWOK_VERSION"
}

build_etcd() {
  [[ -x "$ETCD_BIN/etcd" ]] && return 0
  log "building etcd $ETCD_VERSION (wrapper module for go.etcd.io/etcd/server/v3)"
  local dir="$CACHE/src/etcd-$ETCD_VERSION"
  # server/v3's own go.mod replaces its sibling modules with ../ paths, which `go install` rejects;
  # as a dependency of this wrapper those replace lines are ignored and the published
  # api/client modules of the same version are used instead.
  wrapper_module "$dir" "module stonks.local/etcdbuild

go 1.26.0

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)

tool go.etcd.io/etcd/server/v3"
  in_dir_logged "go mod tidy for etcd" "$dir" "$GO" mod tidy
  go_build "$dir" "$ETCD_BIN" "" go.etcd.io/etcd/server/v3
  # `go build` names a binary built from .../server/v3 after "server"
  local b
  for b in server v3; do
    if [[ -x "$ETCD_BIN/$b" ]]; then mv "$ETCD_BIN/$b" "$ETCD_BIN/etcd"; fi
  done
  [[ -x "$ETCD_BIN/etcd" ]] || die "etcd build produced no binary in $ETCD_BIN; see $BUILD_LOG"
  check_version "$ETCD_BIN/etcd" "etcd Version: ${ETCD_VERSION#v}"
}

build_metrics_server() {
  [[ -x "$METRICS_BIN/metrics-server" ]] && return 0
  log "building metrics-server $METRICS_SERVER_VERSION"
  local dir="$CACHE/src/metrics-server-$METRICS_SERVER_VERSION"
  wrapper_module "$dir" "module stonks.local/metricsbuild

go 1.26.4

require sigs.k8s.io/metrics-server $METRICS_SERVER_VERSION

tool sigs.k8s.io/metrics-server/cmd/metrics-server"
  in_dir_logged "go mod tidy for metrics-server" "$dir" "$GO" mod tidy
  go_build "$dir" "$METRICS_BIN" "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION" \
    sigs.k8s.io/metrics-server/cmd/metrics-server
  check_version "$METRICS_BIN/metrics-server" "$METRICS_SERVER_VERSION"
}

build_kubernetes() {
  [[ -x "$KUBE_BIN/kube-apiserver" && -x "$KUBE_BIN/kube-controller-manager" && -x "$KUBE_BIN/kube-scheduler" ]] && return 0
  log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (the long one)"
  local dir="$CACHE/src/kubernetes-$KUBE_VERSION" kmod
  # k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and
  # replaces them with ./staging paths that only exist in its git tree. Read that list from its
  # published go.mod and point every one at the matching published v0.<minor>.<patch> module.
  kmod="$(cd "$CACHE" && "$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" 2>>"$BUILD_LOG" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$kmod" ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION's go.mod from $GOPROXY; see $BUILD_LOG"
  local staging_version="v0.${KUBE_VERSION#v1.}" replaces
  replaces="$(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\t\1 v0.0.0 => \1 '"$staging_version"'#p' "$kmod")"
  [[ -n "$replaces" ]] || die "found no ./staging replace lines in $kmod; the wrapper module needs updating for $KUBE_VERSION"
  wrapper_module "$dir" "module stonks.local/kubebuild

go 1.26.0

godebug default=go1.26

require k8s.io/kubernetes $KUBE_VERSION

replace (
$replaces
)

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
)"
  in_dir_logged "go mod tidy for k8s.io/kubernetes" "$dir" "$GO" mod tidy
  # kwokctl picks component flags from the version the binaries report, so stamp it.
  local v="k8s.io/component-base/version" ldflags
  ldflags="-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$KUBE_MINOR -X $v.gitTreeState=clean"
  ldflags+=" -X $v.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$KUBE_MINOR"
  go_build "$dir" "$KUBE_BIN" "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    check_version "$KUBE_BIN/$b" "Kubernetes $KUBE_VERSION"
  done
}

# check_version <binary> <expected substring>: kwokctl chooses flags from the reported version,
# so a binary that does not report the version it was built as is a build error.
check_version() {
  local bin="$1" want="$2" got
  got="$("$bin" --version 2>&1 | head -n 3 | tr '\n' ' ')" || die "$bin --version failed: $got"
  if [[ "$got" != *"$want"* ]]; then
    rm -f "$bin"
    die "$bin reported version '$got', expected '$want' (removed it; check the -ldflags in $0)"
  fi
}

binaries_present() {
  local f
  for f in "$KWOK_BIN/kwok" "$KWOK_BIN/kwokctl" "$ETCD_BIN/etcd" "$METRICS_BIN/metrics-server" \
    "$KUBE_BIN/kube-apiserver" "$KUBE_BIN/kube-controller-manager" "$KUBE_BIN/kube-scheduler"; do
    [[ -x "$f" ]] || return 1
  done
}

cmd_build() {
  mkdir -p "$CACHE"
  if binaries_present; then
    log "all binaries present in $CACHE/bin (versions from scripts/kwok/versions.env)"
    return 0
  fi
  check_go
  go_env
  log "building into $CACHE (log: $BUILD_LOG); this takes a long time on a cold cache"
  printf '\n==== build started %s (%s, GOPROXY=%s)\n' "$(date -Is)" "$("$GO" env GOVERSION)" "$GOPROXY" >>"$BUILD_LOG"
  local start=$SECONDS
  build_kwok
  build_etcd
  build_metrics_server
  build_kubernetes
  log "build finished in $((SECONDS - start)) s"
  printf '==== build finished %s after %s s\n' "$(date -Is)" "$((SECONDS - start))" >>"$BUILD_LOG"
}

# ---------------------------------------------------------------------------------------------
# Cluster lifecycle
# ---------------------------------------------------------------------------------------------

NODE_NAME="${STONKS_KWOK_NODE:-kwok-node-0}"
# 0: no kwok-controller and no fake Node (scripts/real-node.sh runs a real kubelet instead).
FAKE_NODE="${STONKS_KWOK_FAKE_NODE:-1}"
APISERVER_ARGS="${STONKS_KWOK_APISERVER_ARGS:-}"
CERT_SANS="${STONKS_KWOK_CERT_SANS:-}"
UP_TIMEOUT="${STONKS_KWOK_UP_TIMEOUT:-180}"
CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER"

# kwokctl downloads any binary or manifest it is not given locally. Point every proxy variable at
# a closed loopback port so that such a download fails loudly instead of reaching the internet
# (Go never proxies loopback addresses, so the cluster's own 127.0.0.1 traffic is unaffected; the
# components inherit this environment too).
NO_EGRESS_PROXY="http://127.0.0.1:9"
# Addresses the components reach directly besides loopback (comma-separated hosts or CIDRs, e.g.
# a real node's range, where the API server reads pod logs from the kubelet).
NO_PROXY_EXTRA="${STONKS_KWOK_NO_PROXY:+,$STONKS_KWOK_NO_PROXY}"

kwokctl() {
  env KWOK_WORKDIR="$KWOK_WORKDIR" \
    HTTP_PROXY="$NO_EGRESS_PROXY" HTTPS_PROXY="$NO_EGRESS_PROXY" \
    http_proxy="$NO_EGRESS_PROXY" https_proxy="$NO_EGRESS_PROXY" \
    NO_PROXY="127.0.0.1,localhost$NO_PROXY_EXTRA" no_proxy="127.0.0.1,localhost$NO_PROXY_EXTRA" \
    "$KWOK_BIN/kwokctl" --name "$CLUSTER" "$@"
}

# api <method> <path> [json-body]: call the API server with the cluster's admin certificate.
api() {
  local method="$1" path="$2" body="${3:-}" server
  server="$(cat "$RUN_DIR/server")"
  local args=(--noproxy "*" --silent --show-error --fail-with-body --max-time 20 --request "$method"
    --cacert "$CLUSTER_DIR/pki/ca.crt" --cert "$CLUSTER_DIR/pki/admin.crt" --key "$CLUSTER_DIR/pki/admin.key")
  if [[ -n "$body" ]]; then
    args+=(--header 'Content-Type: application/json' --data "$body")
  fi
  curl "${args[@]}" "$server$path"
}

start_manifest_server() {
  local port
  port="$(free_ports 1)"
  # Serves scripts/kwok/manifests (only) on loopback for kwokctl's metricsServerManifests.
  python3 -m http.server --bind 127.0.0.1 --directory "$HELPERS/manifests" "$port" \
    >"$RUN_DIR/manifest-server.log" 2>&1 &
  echo $! >"$RUN_DIR/manifest-server.pid"
  local deadline=$((SECONDS + 20))
  until curl --noproxy "*" --silent --fail --max-time 2 -o /dev/null "http://127.0.0.1:$port/metrics-server.yaml"; do
    ((SECONDS < deadline)) || die "loopback manifest server on 127.0.0.1:$port did not start; see $RUN_DIR/manifest-server.log"
    sleep 0.2
  done
  echo "$port"
}

stop_pidfile() {
  local pidfile="$1" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
}

# free_ports <n>: n distinct ports free on 127.0.0.1, below the kernel's ephemeral range (a
# component binds its port seconds later, and no outgoing connection can take one of these in
# between; with the kernel's port-0 choice one did, and kwokctl reported a cluster up whose
# metrics-server had exited on "address already in use"). kwokctl's own choice counts down from
# 32767 and collides when two clusters start at the same time (e.g. pytest -n 2), so every port
# is chosen here, at random.
free_ports() {
  python3 "$FREE_PORTS" "$1"
}

write_kwokctl_config() {
  local manifest_url="$1" ports
  read -r -a ports <<<"$(free_ports 7)"
  cat >"$RUN_DIR/kwokctl.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $KUBE_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  cacheDir: $RUN_DIR/kwokctl-cache
  kubeApiserverBinary: $KUBE_BIN/kube-apiserver
  kubeControllerManagerBinary: $KUBE_BIN/kube-controller-manager
  kubeSchedulerBinary: $KUBE_BIN/kube-scheduler
  kwokControllerBinary: $KWOK_BIN/kwok
  etcdBinary: $ETCD_BIN/etcd
  metricsServerBinary: $METRICS_BIN/metrics-server
  kubeApiserverPort: ${ports[0]}
  etcdPort: ${ports[1]}
  etcdPeerPort: ${ports[2]}
  kwokControllerPort: ${ports[3]}
  kubeControllerManagerPort: ${ports[4]}
  kubeSchedulerPort: ${ports[5]}
  metricsServerPort: ${ports[6]}
$(cert_sans)
$(fake_node_options "$manifest_url")
componentsPatches:
  # The API server reaches the kubelet (kwok-controller, or a real one) for port-forward, logs and
  # exec. Its default address order starts with Hostname, which would mean a DNS lookup of the
  # node name; use the Node's InternalIP only (127.0.0.1 for kwok's Node).
  - name: kube-apiserver
    extraArgs:
      - key: kubelet-preferred-address-types
        value: InternalIP
$(apiserver_extra_args)
EOF
}

# kwok-controller, the CRDs it serves and the metrics-server that reads them, unless a real
# kubelet is the node (FAKE_NODE=0: scripts/real-node.sh runs its own metrics-server; kwokctl's
# would depend on kwok-controller).
fake_node_options() {
  if [[ "$FAKE_NODE" == 0 ]]; then
    printf '  disable:\n    - kwok-controller\n'
    return 0
  fi
  # The CRDs are created by the tests at run time: port-forward targets, per-pod resource usage,
  # exec run on this machine (the Kubernetes backend's cgroup memory fallback reads a file by
  # exec), and pod logs served from files (the failure bundle reads every pod's log).
  printf '  enableMetricsServer: true\n  metricsServerManifests:\n    - %s\n' "$1"
  printf '  enableCRDs:\n    - ClusterPortForward\n    - ClusterResourceUsage\n    - ClusterExec\n'
  printf '    - ClusterLogs\n'
}

# STONKS_KWOK_CERT_SANS: space-separated extra names and addresses of the API server's certificate.
cert_sans() {
  [[ -n "$CERT_SANS" ]] || return 0
  printf '  kubeApiserverCertSANs:\n'
  printf '    - %s\n' $CERT_SANS
}

# STONKS_KWOK_APISERVER_ARGS: space-separated key=value flags added to kube-apiserver's.
apiserver_extra_args() {
  local kv
  for kv in $APISERVER_ARGS; do
    [[ "$kv" == *=* ]] || die "STONKS_KWOK_APISERVER_ARGS: '$kv' is not key=value"
    printf '      - key: %s\n        value: %s\n' "${kv%%=*}" "${kv#*=}"
  done
}

node_json() {
  cat <<EOF
{
  "apiVersion": "v1",
  "kind": "Node",
  "metadata": {
    "name": "$NODE_NAME",
    "annotations": {
      "kwok.x-k8s.io/node": "fake",
      "node.alpha.kubernetes.io/ttl": "0",
      "metrics.k8s.io/resource-metrics-path": "/metrics/nodes/$NODE_NAME/metrics/resource"
    },
    "labels": {
      "kubernetes.io/hostname": "$NODE_NAME",
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "type": "kwok"
    }
  },
  "spec": {"podCIDR": "10.0.0.0/24", "podCIDRs": ["10.0.0.0/24"]},
  "status": {
    "addresses": [
      {"type": "InternalIP", "address": "127.0.0.1"},
      {"type": "Hostname", "address": "$NODE_NAME"}
    ],
    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}
  }
}
EOF
}

create_node() {
  api POST /api/v1/nodes "$(node_json)" >/dev/null || die "could not create Node $NODE_NAME"
  local deadline=$((SECONDS + 60)) node
  while :; do
    node="$(api GET "/api/v1/nodes/$NODE_NAME")"
    if python3 -c '
import json, sys
node = json.load(sys.stdin)
ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
addresses = {a["type"]: a["address"] for a in node["status"].get("addresses", [])}
ok = ready and ready[0]["status"] == "True" and addresses.get("InternalIP") == "127.0.0.1"
sys.exit(0 if ok else 1)' <<<"$node"; then
      break
    fi
    ((SECONDS < deadline)) || die "Node $NODE_NAME did not become Ready with InternalIP 127.0.0.1 within 60 s: $node"
    sleep 0.5
  done
}

# kwokctl's --wait does not cover metrics-server: one that exited at start (e.g. its port taken)
# leaves metrics.k8s.io unavailable, and then no namespace can be deleted (its discovery fails).
wait_for_metrics_api() {
  local deadline=$((SECONDS + 60)) available=""
  local log_file="$CLUSTER_DIR/logs/metrics-server.log"
  while ((SECONDS < deadline)); do
    available="$(api GET /apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io 2>/dev/null | python3 -c '
import json, sys
conditions = json.load(sys.stdin).get("status", {}).get("conditions", [])
print(next((c["status"] + ": " + c.get("message", "") for c in conditions if c["type"] == "Available"), "no status yet"))' 2>/dev/null || true)"
    [[ "$available" == True:* ]] && return 0
    if ! kill -0 "$(cat "$CLUSTER_DIR/pids/metrics-server.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      available="its process has exited"
      break
    fi
    sleep 0.5
  done
  log "metrics-server of cluster '$CLUSTER' is not available (${available:-no answer}); the start of its log:"
  grep -v 'Unhandled Error' "$log_file" 2>/dev/null | head -n 5 >&2 || true
  cmd_down
  die "cluster '$CLUSTER' not created: its metrics-server is not available (log above); run '$0 up' again"
}

cmd_up() {
  command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"
  command -v python3 >/dev/null || die "python3 is required"
  if [[ -d "$CLUSTER_DIR" ]]; then
    log "cluster '$CLUSTER' exists from an earlier run; removing it first"
    cmd_down
  fi
  mkdir -p "$RUN_DIR"
  local start=$SECONDS port
  if [[ "$FAKE_NODE" == 0 ]]; then
    write_kwokctl_config ""
  else
    port="$(start_manifest_server)"
    write_kwokctl_config "http://127.0.0.1:$port/metrics-server.yaml"
  fi
  log "creating cluster '$CLUSTER' (kwokctl --runtime binary, workdir $KWOK_WORKDIR)"
  if ! kwokctl --config "$RUN_DIR/kwokctl.yaml" create cluster --runtime binary \
    --kubeconfig "$KUBECONFIG_OUT" --wait "${UP_TIMEOUT}s" --timeout "${UP_TIMEOUT}s" >"$RUN_DIR/create.log" 2>&1; then
    stop_pidfile "$RUN_DIR/manifest-server.pid"
    cat "$RUN_DIR/create.log" >&2
    die "kwokctl create cluster failed (log above, also $RUN_DIR/create.log; component logs in $CLUSTER_DIR/logs). Run '$0 down' to clean up."
  fi
  # kwokctl has read (and cached) the manifest; the loopback server is no longer needed.
  stop_pidfile "$RUN_DIR/manifest-server.pid"
  sed -n 's#^[[:space:]]*server: \(https\{0,1\}://.*\)$#\1#p' "$KUBECONFIG_OUT" | head -n 1 >"$RUN_DIR/server"
  [[ -s "$RUN_DIR/server" ]] || die "no server URL in $KUBECONFIG_OUT"
  grep -q '127.0.0.1' "$RUN_DIR/server" || die "API server is not on loopback: $(cat "$RUN_DIR/server")"
  if [[ "$FAKE_NODE" == 0 ]]; then
    log "cluster '$CLUSTER' up in $((SECONDS - start)) s; API server $(cat "$RUN_DIR/server"), no fake node"
  else
    create_node
    wait_for_metrics_api
    log "cluster '$CLUSTER' up in $((SECONDS - start)) s; API server $(cat "$RUN_DIR/server"), node $NODE_NAME (127.0.0.1)"
  fi
  log "kubeconfig: $KUBECONFIG_OUT  (eval \"\$($0 env)\")"
  echo "$((SECONDS - start))" >"$RUN_DIR/up-seconds"
}

# pids of processes whose command line mentions this cluster's workdir (its components)
cluster_pids() {
  local dir pid cmdline
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    # (tr's own argv does not contain the path, so it never matches itself)
    cmdline="$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline" || true)"
    if [[ "$cmdline" == *"$CLUSTER_DIR/"* ]]; then
      echo "$pid"
    fi
  done
}

cmd_down() {
  stop_pidfile "$RUN_DIR/manifest-server.pid"
  if [[ -x "$KWOK_BIN/kwokctl" && -d "$CLUSTER_DIR" ]]; then
    log "deleting cluster '$CLUSTER'"
    mkdir -p "$RUN_DIR"
    kwokctl delete cluster --kubeconfig "$KUBECONFIG_OUT" >"$RUN_DIR/delete.log" 2>&1 \
      || log "kwokctl delete cluster failed (see $RUN_DIR/delete.log); stopping its processes directly"
  fi
  # Anything kwokctl left behind: stop it by pid (pid files first, then by workdir in cmdline).
  local f pid left deadline
  if [[ -d "$CLUSTER_DIR/pids" ]]; then
    for f in "$CLUSTER_DIR"/pids/*.pid; do
      if [[ -e "$f" ]]; then stop_pidfile "$f"; fi
    done
  fi
  left="$(cluster_pids)"
  if [[ -n "$left" ]]; then
    log "stopping leftover cluster processes: $(echo "$left" | tr '\n' ' ')"
    for pid in $left; do kill "$pid" 2>/dev/null || true; done
    deadline=$((SECONDS + 15))
    while [[ -n "$(cluster_pids)" ]] && ((SECONDS < deadline)); do sleep 0.3; done
    for pid in $(cluster_pids); do kill -9 "$pid" 2>/dev/null || true; done
  fi
  left="$(cluster_pids)"
  [[ -z "$left" ]] || die "processes of cluster '$CLUSTER' still running after down: $left"
  rm -rf "$CLUSTER_DIR" "$RUN_DIR"
  log "cluster '$CLUSTER' is down; no processes left"
}

cmd_env() {
  [[ -f "$KUBECONFIG_OUT" ]] || die "no kubeconfig at $KUBECONFIG_OUT; run '$0 up' first"
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_OUT"
}

cmd_status() {
  if [[ ! -d "$CLUSTER_DIR" ]]; then
    echo "cluster '$CLUSTER': not created"
    return 0
  fi
  echo "cluster '$CLUSTER' (workdir $CLUSTER_DIR)"
  echo "kubeconfig: $KUBECONFIG_OUT"
  local pids
  pids="$(cluster_pids | paste -sd, -)"
  if [[ -n "$pids" ]]; then
    ps -o pid=,rss=,args= -p "$pids" | cut -c1-160
  fi
  if [[ -s "$RUN_DIR/server" ]] && api GET "/api/v1/nodes/$NODE_NAME" >/dev/null; then
    echo "node $NODE_NAME: present"
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local verb="${1:-}"
  case "$verb" in
    build) cmd_build ;;
    up) cmd_build; cmd_up ;;
    down) cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    -h|--help|help|"") usage ;;
    *) usage; die "unknown verb '$verb'" ;;
  esac
}

# (one line, so that editing this file while it runs cannot make bash read past the end)
main "$@"; exit $?
