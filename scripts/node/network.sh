# Network half of scripts/real-node.sh (sourced): the confined pod and service network.
#
# Both ranges get an unreachable route before anything starts, so a packet addressed to a cluster
# address that is not on the bridge (or not rewritten by kube-proxy) is refused instead of taking
# the default route. Pods get no default route at all (only the service range via the bridge),
# the bridge alone may forward (the host's ip_forward stays as it is), and the STONKS-NODE filter
# chain drops anything forwarded from the bridge to another interface or the other way round.
# shellcheck shell=bash

BRIDGE=stonks-br0
FORWARD_CHAIN=STONKS-NODE-FWD

net_up() {
  log "network: unreachable routes for $POD_CIDR and $SERVICE_CIDR, bridge $BRIDGE ($NODE_IP)"
  ip route replace unreachable "$POD_CIDR"
  ip route replace unreachable "$SERVICE_CIDR"
  pod_links_without_ipv6
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$NODE_IP/${NODE_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Forwarding on for packets that arrive on the bridge only (pod -> Service -> pod).
  sysctl -qw "net.ipv4.conf.$BRIDGE.forwarding=1"
  [[ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" == 1 ]] \
    || sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
    || die "bridged traffic does not pass iptables (net.bridge.bridge-nf-call-iptables) and it cannot be switched on; kube-proxy's Service rules would not apply to pod-to-pod traffic"
  icmp_unreachable_unlimited
  iptables -N "$FORWARD_CHAIN" 2>/dev/null || iptables -F "$FORWARD_CHAIN"
  iptables -A "$FORWARD_CHAIN" -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
  iptables -A "$FORWARD_CHAIN" ! -i "$BRIDGE" -o "$BRIDGE" -j DROP
  iptables -C FORWARD -j "$FORWARD_CHAIN" 2>/dev/null || iptables -I FORWARD 1 -j "$FORWARD_CHAIN"
  mkdir -p "$RUN/cni/net.d"
  cat >"$RUN/cni/net.d/10-stonks-node.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "stonks-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{"subnet": "$NODE_SUBNET", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR", "gw": "$NODE_IP"}]
      }
    }
  ]
}
CNI
}

# A connection to a Service without endpoints (a component stopped by a fault) meets the
# unreachable route, whose ICMP error Linux rate-limits twice per host: the route's own limit
# (net.ipv4.route.error_cost, one a second) and ICMP's (destination unreachable is in
# net.ipv4.icmp_ratemask). Every other SYN of a pod is then dropped unanswered and its connect
# hangs until it times out. While the node is up both limits are off for unreachables; `down`
# puts the host's values back.
ICMP_DEST_UNREACH_BIT=$((1 << 3))
icmp_unreachable_unlimited() {
  local mask
  mask="$(sysctl -n net.ipv4.icmp_ratemask)"
  sysctl_for_node net.ipv4.icmp_ratemask "$((mask & ~ICMP_DEST_UNREACH_BIT))"
  sysctl_for_node net.ipv4.route.error_cost 0
}

# Every pod start adds a veth to the host, and a pod's end removes one. With IPv6 on, each gets a
# link-local address about 1.5 s later (after duplicate address detection). Chromium fails the
# requests in flight whenever the host's addresses change (net::ERR_NETWORK_CHANGED, even on
# loopback), so a page checked on the host just after a fault failed at random. The cluster is
# IPv4 only: while the node is up, new interfaces (the bridge and every veth) get no IPv6.
pod_links_without_ipv6() {
  [[ -e /proc/sys/net/ipv6/conf/default/disable_ipv6 ]] || return 0
  sysctl_for_node net.ipv6.conf.default.disable_ipv6 1
  if [[ -e "/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6" ]]; then
    sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
  fi
}

# Set a sysctl while the node is up, keeping the host's value (the first one seen) for `down`.
sysctl_for_node() {
  local key="$1" value="$2" saved="$RUN/sysctl-host"
  grep -q "^$key=" "$saved" 2>/dev/null || echo "$key=$(sysctl -n "$key")" >>"$saved"
  sysctl -qw "$key=$value"
}

sysctls_restore() {
  local line
  [[ -f "$RUN/sysctl-host" ]] || return 0
  while read -r line; do sysctl -qw "$line" || true; done <"$RUN/sysctl-host"
  rm -f "$RUN/sysctl-host"
}

# Network namespaces of this node's pods: containerd names them cni-<uuid> under /run/netns;
# ours are those with an address in the node's subnet.
node_netns() {
  local ns prefix="${NODE_IP%.*}."
  for ns in /run/netns/cni-*; do
    [[ -e "$ns" ]] || continue
    if ip -n "${ns##*/}" -4 -o addr show 2>/dev/null | grep -q " inet ${prefix//./\\.}"; then
      echo "$ns"
    fi
  done
}

# Whatever kube-proxy's own --cleanup leaves (KUBE-FIREWALL and its jumps from INPUT and OUTPUT):
# every rule that jumps to a KUBE- chain, then every KUBE- chain. Only this node's kube-proxy
# makes such chains on this machine.
kube_chains_down() {
  local table rule chain
  for table in filter nat mangle; do
    { iptables -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' || true; } | while read -r rule; do
      # shellcheck disable=SC2086  # the rule's words are iptables arguments
      eval "iptables -t $table -D ${rule#-A }" || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
      iptables -t "$table" -F "$chain"
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
      iptables -t "$table" -X "$chain" || true
    done
  done
}

net_down() {
  local ns
  for ns in $(node_netns); do
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  if iptables -C FORWARD -j "$FORWARD_CHAIN" 2>/dev/null; then iptables -D FORWARD -j "$FORWARD_CHAIN"; fi
  if iptables -L "$FORWARD_CHAIN" -n >/dev/null 2>&1; then
    iptables -F "$FORWARD_CHAIN" && iptables -X "$FORWARD_CHAIN"
  fi
  kube_chains_down
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  ip route del unreachable "$POD_CIDR" 2>/dev/null || true
  ip route del unreachable "$SERVICE_CIDR" 2>/dev/null || true
  sysctls_restore
}
