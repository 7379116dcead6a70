# Process half of scripts/real-node.sh (sourced): containerd, kubelet, kube-proxy and CoreDNS as
# host processes, their configuration, and their removal.
# shellcheck shell=bash

CONTAINERD_SOCK="$STATE/containerd.sock"
CGROUP_ROOT=/stonks-node
NODE_NAME=stonks-node-0

# start_process <name> <command...>: start detached (own session), log to $RUN/logs/<name>.log.
start_process() {
  local name="$1"; shift
  mkdir -p "$RUN/logs"
  setsid "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# wait_for <seconds> <what> <log> <command...>: poll a command until it succeeds; stop early
# when the process that writes <log> has exited.
wait_for() {
  local timeout="$1" what="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + timeout)) pidfile="$RUN/$(basename "$logfile" .log).pid"
  until "$@" >/dev/null 2>&1; do
    if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 || true
      die "$what exited (end of $logfile above)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$logfile" >&2 || true
      die "$what not ready within $timeout s (end of $logfile above)"
    fi
    sleep 0.3
  done
}

stop_pid() {
  local pidfile="$1" pid deadline
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

containerd_up() {
  mkdir -p "$STATE" "$NODE_CACHE/containerd"
  cat >"$RUN/containerd.toml" <<TOML
version = 2
root = "$NODE_CACHE/containerd/root"
state = "$STATE/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_CACHE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE here: a negative oom_score_adj fails, so never ask for one.
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN/cni/net.d"
TOML
  log "starting containerd ($CONTAINERD_SOCK)"
  start_process containerd containerd --config "$RUN/containerd.toml"
  wait_for 30 containerd "$RUN/logs/containerd.log" ctr_k8s version
}

# The kubelet's cgroup root, in every v1 hierarchy (cpuset needs its cpus and mems set).
make_cgroup_root() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ "$h" == */unified/ ]] && continue
    mkdir -p "$h${CGROUP_ROOT#/}"
  done
  local cpuset=/sys/fs/cgroup/cpuset
  cat "$cpuset/cpuset.cpus" >"$cpuset$CGROUP_ROOT/cpuset.cpus"
  cat "$cpuset/cpuset.mems" >"$cpuset$CGROUP_ROOT/cpuset.mems"
}

# Pods reach the API server through the `kubernetes` Service: the API server advertises
# $NODE_IP:<its port>, and a relay there copies each connection to its loopback listener.
api_relay_up() {
  local port
  port="$(sed 's#.*:##' "$CONTROL_RUN/server")"
  log "relaying $NODE_IP:$port to the API server (127.0.0.1:$port) for pods"
  start_process api-relay python3 "$HELPERS/apirelay.py" "$NODE_IP" "$port"
  wait_for 10 "API relay" "$RUN/logs/api-relay.log" \
    curl --noproxy '*' -s -o /dev/null --max-time 2 --cacert "$CONTROL_DIR/pki/ca.crt" "https://$NODE_IP:$port/healthz"
}

kubelet_up() {
  local pki="$CONTROL_DIR/pki" port healthz
  make_cgroup_root
  read -r port healthz <<<"$(free_ports 2)"
  mkdir -p "$RUN/kubelet" "$RUN/pod-logs"
  cat >"$RUN/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# PID 1 is not systemd, and the host's cgroups are v1 (which this kubelet runs only when told to).
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: $CGROUP_ROOT
failSwapOn: false
oomScoreAdj: 0
makeIPTablesUtilChains: false
localStorageCapacityIsolation: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
# No host resolver for pods: cluster names only.
resolvConf: ""
podLogsDir: $RUN/pod-logs
evictionHard: {memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
YAML
  echo "$port" >"$RUN/kubelet-port"
  log "starting kubelet (node $NODE_NAME at $NODE_IP:$port)"
  start_process kubelet "$NODE_KUBE_BIN/kubelet" --config "$RUN/kubelet.yaml" --kubeconfig "$KUBECONFIG_FILE" \
    --root-dir "$RUN/kubelet" --cert-dir "$RUN/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  wait_for 90 "Node $NODE_NAME" "$RUN/logs/kubelet.log" node_ready
}

node_ready() {
  api GET "/api/v1/nodes/$NODE_NAME" | python3 -c '
import json, sys
node = json.load(sys.stdin)
ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
sys.exit(0 if ready and ready[0]["status"] == "True" else 1)'
}

kube_proxy_up() {
  local healthz metrics
  read -r healthz metrics <<<"$(free_ports 2)"
  cat >"$RUN/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KUBECONFIG_FILE}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
detectLocalMode: ClusterCIDR
healthzBindAddress: 127.0.0.1:$healthz
metricsBindAddress: 127.0.0.1:$metrics
nodePortAddresses: ["$NODE_IP/32"]
# Rules follow each EndpointSlice change at once (default: at most one sync a second), so a
# component stopped or started by a fault is refused or reached through its Service promptly.
# (0s would read as unset and default to 1s.)
iptables: {localhostNodePorts: false, minSyncPeriod: 10ms}
# Leave the host's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
  echo "$healthz" >"$RUN/kube-proxy-healthz-port"
  log "starting kube-proxy (iptables mode)"
  start_process kube-proxy "$NODE_KUBE_BIN/kube-proxy" --config "$RUN/kube-proxy.yaml"
  wait_for 60 kube-proxy "$RUN/logs/kube-proxy.log" \
    curl --noproxy '*' -sf --max-time 2 "http://127.0.0.1:$healthz/healthz"
  # kube-proxy put its jumps first in FORWARD; the confinement chain goes before them (kube-proxy
  # only re-adds a jump of its own that is missing, so the order stays).
  iptables -D FORWARD -j "$FORWARD_CHAIN" && iptables -I FORWARD 1 -j "$FORWARD_CHAIN"
}

coredns_up() {
  local health ready
  read -r health ready <<<"$(free_ports 2)"
  # The cluster domain only, on the bridge address only; no forward plugin is even compiled in,
  # so any other name is refused.
  cat >"$RUN/Corefile" <<COREFILE
$CLUSTER_DOMAIN:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$health
    ready 127.0.0.1:$ready
    kubernetes $CLUSTER_DOMAIN {
        kubeconfig $KUBECONFIG_FILE
        pods insecure
    }
    cache 30
}
COREFILE
  log "starting CoreDNS ($NODE_IP:53, zone $CLUSTER_DOMAIN)"
  start_process coredns "$COREDNS_BIN/coredns" -conf "$RUN/Corefile"
  wait_for 60 CoreDNS "$RUN/logs/coredns.log" curl --noproxy '*' -sf --max-time 2 "http://127.0.0.1:$ready/ready"
}

# pids of processes whose command line names this node's run or state directory (containerd's
# shims, runc, anything left of the node's components).
node_pids() {
  local dir cmdline
  for dir in /proc/[0-9]*; do
    cmdline="$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline" || true)"
    if [[ "$cmdline" == *"$CONTAINERD_SOCK"* || "$cmdline" == *"$RUN/"* ]]; then
      echo "${dir#/proc/}"
    fi
  done
}

# Every container of the node killed and removed through containerd (the kubelet is stopped by
# then, so nothing restarts them).
remove_containers() {
  ctr_k8s version >/dev/null 2>&1 || return 0
  local id
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    ctr_k8s tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    ctr_k8s tasks delete --force "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr_k8s containers ls -q 2>/dev/null); do
    ctr_k8s containers delete "$id" >/dev/null 2>&1 || true
  done
}

# Mounts below the node's directories, deepest first.
unmount_below() {
  local dir m
  for dir in "$@"; do
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  done
}

# The node's cgroups in every v1 hierarchy: any process still in one is killed, then the
# directories are removed deepest first.
remove_cgroups() {
  local h pid
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h${CGROUP_ROOT#/}" ]] || continue
    for pid in $(find "$h${CGROUP_ROOT#/}" -name cgroup.procs -exec cat {} + 2>/dev/null); do
      kill -9 "$pid" 2>/dev/null || true
    done
  done
  sleep 0.2
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h${CGROUP_ROOT#/}" ]] || continue
    find "$h${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

components_down() {
  stop_pid "$RUN/metrics-server.pid"
  stop_pid "$RUN/coredns.pid"
  stop_pid "$RUN/kubelet.pid"
  stop_pid "$RUN/api-relay.pid"
  if [[ -f "$RUN/kube-proxy.yaml" ]]; then
    stop_pid "$RUN/kube-proxy.pid"
    "$NODE_KUBE_BIN/kube-proxy" --cleanup --config "$RUN/kube-proxy.yaml" >>"$RUN/logs/kube-proxy.log" 2>&1 || true
  fi
  remove_containers
  stop_pid "$RUN/containerd.pid"
  local left pid
  left="$(node_pids)"
  if [[ -n "$left" ]]; then
    log "stopping leftover node processes: $(echo "$left" | tr '\n' ' ')"
    for pid in $left; do kill -9 "$pid" 2>/dev/null || true; done
    sleep 0.5
  fi
  unmount_below "$STATE" "$RUN" "$NODE_CACHE/containerd/root"
  remove_cgroups
}

# metrics-server as a process on loopback, aggregated by the API server as metrics.k8s.io
# (an ExternalName Service for 127.0.0.1 and an APIService with its port); it scrapes the
# kubelet's /metrics/resource at the Node's InternalIP.
metrics_server_up() {
  local port pki="$CONTROL_DIR/pki"
  port="$(free_ports 1)"
  mkdir -p "$RUN/metrics-server"
  log "starting metrics-server (127.0.0.1:$port)"
  start_process metrics-server "$KWOK_CACHE/bin/metrics-server-$METRICS_SERVER_VERSION/metrics-server" \
    --bind-address=127.0.0.1 --secure-port="$port" --cert-dir="$RUN/metrics-server" \
    --kubeconfig="$KUBECONFIG_FILE" --authentication-kubeconfig="$KUBECONFIG_FILE" \
    --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --tls-cert-file="$pki/admin.crt" --tls-private-key-file="$pki/admin.key" \
    --kubelet-preferred-address-types=InternalIP --kubelet-use-node-status-port --kubelet-insecure-tls \
    --metric-resolution=15s
  api_create /api/v1/namespaces/kube-system/services '{"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "metrics-server", "namespace": "kube-system"},
    "spec": {"type": "ExternalName", "externalName": "127.0.0.1"}}'
  api_create /apis/apiregistration.k8s.io/v1/apiservices '{"apiVersion": "apiregistration.k8s.io/v1",
    "kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
    "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
      "versionPriority": 100, "insecureSkipTLSVerify": true,
      "service": {"name": "metrics-server", "namespace": "kube-system", "port": '"$port"'}}}'
  wait_for 60 metrics-server "$RUN/logs/metrics-server.log" api GET /apis/metrics.k8s.io/v1beta1/nodes
}
