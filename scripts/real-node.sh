#!/usr/bin/env bash
# A real Kubernetes node on this machine: the kwok script's control plane (without kwok) plus
# containerd, runc, CNI bridge, a real kubelet, kube-proxy and CoreDNS, and the project's images.
#
#   scripts/real-node.sh build    install Debian packages, build binaries and images (cached)
#   scripts/real-node.sh up       build if needed, start the cluster and node, write the kubeconfig
#   scripts/real-node.sh env      print `export KUBECONFIG=...` and the image tag
#   scripts/real-node.sh status   show the node's processes, routes and pods
#   scripts/real-node.sh down     stop everything `up` started; remove bridge, routes, rules, mounts
#
# Needs root. Nothing is downloaded except Go modules and Debian packages. The pod and service
# ranges are routed nowhere but the local bridge and kube-proxy's rules. See docs/real-node.md.
set -euo pipefail

# A lock file the caller holds open (`flock LOCK scripts/real-node.sh up`) is not passed on to the
# daemons `up` starts: they outlive this script and would hold the lock until `down`.
for fd_path in /proc/$$/fd/*; do
  fd="${fd_path##*/}"
  [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2 && fd != 255)) || continue
  [[ "$(readlink "$fd_path" 2>/dev/null)" == *.lock ]] && eval "exec $fd>&-"
done
unset fd fd_path

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
HELPERS="$SCRIPT_DIR/node"
# shellcheck source=kwok/versions.env
. "$SCRIPT_DIR/kwok/versions.env"
# shellcheck source=node/versions.env
. "$HELPERS/versions.env"

KWOK_CACHE="${STONKS_KWOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stonks-sandbox/kwok}"
NODE_CACHE="${STONKS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stonks-sandbox/node}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
GO_PARALLEL="${STONKS_NODE_GO_PARALLEL:-2}"
BUILD_LOG="$NODE_CACHE/build.log"

NODE_KUBE_BIN="$NODE_CACHE/bin/kubernetes-$KUBE_VERSION"
COREDNS_BIN="$NODE_CACHE/bin/coredns-$COREDNS_VERSION"
PAUSE_BIN="$NODE_CACHE/bin/pause-$(sha256sum "$HELPERS/pause/main.go" | cut -c1-12)"

log() { printf '[real-node %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[real-node] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=node/build.sh
. "$HELPERS/build.sh"

# Runtime state: configuration, logs and pid files in $RUN; containerd's state and socket in
# $STATE (tmpfs); the image store in $NODE_CACHE/containerd survives `down`.
RUN="$NODE_CACHE/run"
STATE="${STONKS_NODE_STATE:-/run/stonks-node}"
# The control plane is scripts/kwok-cluster.sh's, as its own cluster with no kwok-controller.
CONTROL_CLUSTER=stonks-node
CONTROL_RUN="$KWOK_CACHE/run/$CONTROL_CLUSTER"
CONTROL_DIR="$CONTROL_RUN/kwok-home/clusters/$CONTROL_CLUSTER"
KUBECONFIG_FILE="$CONTROL_RUN/kubeconfig"

# shellcheck source=node/network.sh
. "$HELPERS/network.sh"
# shellcheck source=node/components.sh
. "$HELPERS/components.sh"
# shellcheck source=node/images.sh
. "$HELPERS/images.sh"

# free_ports <n>: n distinct free ports on 127.0.0.1, below the ephemeral range (see kwok-cluster.sh).
free_ports() {
  python3 "$SCRIPT_DIR/../src/pytest_stonks_sandbox/_backends/local/freeports.py" "$1"
}

# api <method> <path> [json]: call the API server with the cluster's admin certificate.
api() {
  local args=(--noproxy '*' --silent --show-error --fail --max-time 10 --request "$1"
    --cacert "$CONTROL_DIR/pki/ca.crt" --cert "$CONTROL_DIR/pki/admin.crt" --key "$CONTROL_DIR/pki/admin.key")
  [[ -z "${3:-}" ]] || args+=(--header 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$(cat "$CONTROL_RUN/server")$2"
}

api_create() { api POST "$1" "$2" >/dev/null || die "could not create $1: $2"; }

control_plane() {
  STONKS_KWOK_CACHE="$KWOK_CACHE" STONKS_KWOK_CLUSTER="$CONTROL_CLUSTER" STONKS_KWOK_FAKE_NODE=0 \
    STONKS_KWOK_CERT_SANS="$API_SERVICE_IP kubernetes.default.svc.$CLUSTER_DOMAIN" \
    STONKS_KWOK_NO_PROXY="$NODE_SUBNET" \
    STONKS_KWOK_APISERVER_ARGS="service-cluster-ip-range=$SERVICE_CIDR advertise-address=$NODE_IP kubelet-client-certificate=$CONTROL_DIR/pki/admin.crt kubelet-client-key=$CONTROL_DIR/pki/admin.key" \
    "$SCRIPT_DIR/kwok-cluster.sh" "$@"
}

preflight() {
  [[ $EUID -eq 0 ]] || die "the real node needs root (network, mounts, cgroups); run it as root"
  local c
  for c in cpu cpuacct cpuset memory pids; do
    [[ -d /sys/fs/cgroup/$c ]] || die "cgroup controller '$c' is not mounted at /sys/fs/cgroup/$c; the kubelet needs it"
  done
}

cmd_up() {
  preflight
  if [[ -d "$RUN" ]]; then
    log "the node (or part of it) is up from an earlier run; taking it down first"
    cmd_down
  fi
  local start=$SECONDS
  rm -rf "$RUN" && mkdir -p "$RUN"
  net_up
  containerd_up
  import_images
  control_plane up
  api_relay_up
  kubelet_up
  kube_proxy_up
  coredns_up
  metrics_server_up
  touch "$RUN/up"
  echo "$((SECONDS - start))" >"$RUN/up-seconds"
  log "node $NODE_NAME up in $((SECONDS - start)) s; eval \"\$($0 env)\""
}

cmd_down() {
  components_down
  control_plane down
  net_down
  rm -rf "$RUN" "$STATE"
  log "node down: no processes, bridge, routes or chains left"
}

cmd_env() {
  [[ -f "$RUN/up" ]] || die "the node is not up; run '$0 up' first"
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
  printf 'export STONKS_SANDBOX_IMAGE_TAG=%q\n' "$(image_tag)"
}

cmd_status() {
  [[ -f "$RUN/up" ]] || { echo "node: down"; return 0; }
  echo "node $NODE_NAME up; kubeconfig $KUBECONFIG_FILE"
  ip route show | grep -E "unreachable|$BRIDGE" || true
  local pids
  pids="$(cat "$RUN"/*.pid 2>/dev/null | paste -sd, -)"
  [[ -z "$pids" ]] || ps -o pid=,rss=,args= -p "$pids" | cut -c1-150
  ctr_k8s containers ls 2>/dev/null | tail -n +2 | wc -l | sed 's/^/containers: /'
}

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
  case "${1:-}" in
    build) cmd_build ;;
    up) cmd_build; cmd_up ;;
    down) preflight; cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    -h|--help|help|"") usage ;;
    *) usage; die "unknown verb '$1'" ;;
  esac
}

# (one line, so that editing this file while it runs cannot make bash read past the end; sourcing
# it only defines the functions)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; exit $?; fi
