# Build half of scripts/real-node.sh (sourced): kubelet, kube-proxy, CoreDNS and pause from the
# Go module proxy, all into $NODE_CACHE/bin, plus the Debian packages the node runs on.
# shellcheck shell=bash

# Debian packages the node needs; `apt-get install` runs only when one is missing.
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables buildah mmdebstrap iproute2 conntrack)

install_packages() {
  local missing=() p
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $EUID -eq 0 ]] || die "missing Debian packages (${missing[*]}); run as root or install them: apt-get install -y ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$BUILD_LOG" 2>&1 \
    || die "apt-get install ${missing[*]} failed; see the end of $BUILD_LOG (apt-get update first?)"
}

node_go_env() {
  # The control plane's module and build caches: kubelet and kube-proxy share most packages with
  # kube-apiserver, so reusing its compiled packages turns their build into an incremental one.
  # (STONKS_NODE_GOMODCACHE / STONKS_NODE_GOCACHE: other caches, e.g. empty ones to time a cold build)
  export GOMODCACHE="${STONKS_NODE_GOMODCACHE:-$KWOK_CACHE/gomodcache}" GOCACHE="${STONKS_NODE_GOCACHE:-$KWOK_CACHE/gocache}"
  export GOFLAGS="-modcacherw -buildvcs=false"
  export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
}

# in_dir_logged <what> <dir> <command...>: run in <dir>, output appended to the build log, with a
# progress line every minute.
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

# go_build <dir> <out-dir> <ldflags> <package...>
go_build() {
  local dir="$1" out="$2" ldflags="$3"; shift 3
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  in_dir_logged "go build $*" "$dir" \
    nice -n 19 "$GO" build -p "$GO_PARALLEL" -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp/" "$@"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_kube_node() {
  [[ -x "$NODE_KUBE_BIN/kubelet" && -x "$NODE_KUBE_BIN/kube-proxy" ]] && return 0
  local control="$KWOK_CACHE/src/kubernetes-$KUBE_VERSION" dir="$NODE_CACHE/src/kubernetes-$KUBE_VERSION"
  [[ -f "$control/go.mod" && -f "$control/go.sum" ]] \
    || die "no control-plane wrapper module in $control; run scripts/kwok-cluster.sh build first"
  log "building kubelet and kube-proxy $KUBE_VERSION from the control plane's wrapper module"
  rm -rf "$dir" && mkdir -p "$dir"
  # Same module, same replace lines, same go.sum; only the tool list differs.
  sed '/^tool (/,/^)/d' "$control/go.mod" >"$dir/go.mod"
  printf 'tool (\n\tk8s.io/kubernetes/cmd/kubelet\n\tk8s.io/kubernetes/cmd/kube-proxy\n)\n' >>"$dir/go.mod"
  cp "$control/go.sum" "$dir/go.sum"
  cp "$control/doc.go" "$dir/doc.go"
  in_dir_logged "go mod tidy for kubelet" "$dir" "$GO" mod tidy
  local v="k8s.io/component-base/version" minor="${KUBE_VERSION#v1.}" ldflags
  minor="${minor%%.*}"
  ldflags="-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  ldflags+=" -X $v.buildDate=1970-01-01T00:00:00Z"
  go_build "$dir" "$NODE_KUBE_BIN" "$ldflags" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
  check_version "$NODE_KUBE_BIN/kubelet" "Kubernetes $KUBE_VERSION"
  check_version "$NODE_KUBE_BIN/kube-proxy" "Kubernetes $KUBE_VERSION"
}

build_coredns() {
  [[ -x "$COREDNS_BIN/coredns" ]] && return 0
  log "building CoreDNS $COREDNS_VERSION (trimmed plugin set: scripts/node/coredns/main.go)"
  local dir="$NODE_CACHE/src/coredns-$COREDNS_VERSION"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$HELPERS/coredns/main.go" "$dir/main.go"
  printf 'module stonks.local/corednsbuild\n\ngo 1.26.0\n\nrequire github.com/coredns/coredns %s\n' \
    "$COREDNS_VERSION" >"$dir/go.mod"
  in_dir_logged "go mod tidy for CoreDNS" "$dir" "$GO" mod tidy
  go_build "$dir" "$COREDNS_BIN" "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" .
  mv "$COREDNS_BIN/corednsbuild" "$COREDNS_BIN/coredns"
  check_version "$COREDNS_BIN/coredns" "CoreDNS-${COREDNS_VERSION#v}"
}

build_pause() {
  [[ -x "$PAUSE_BIN/pause" ]] && return 0
  log "building the pod sandbox (pause) binary"
  local dir="$NODE_CACHE/src/pause"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$HELPERS/pause/main.go" "$dir/main.go"
  printf 'module stonks.local/pause\n\ngo 1.26.0\n' >"$dir/go.mod"
  go_build "$dir" "$PAUSE_BIN" "" .
}

# check_version <binary> <expected substring>
check_version() {
  local bin="$1" want="$2" got
  got="$("$bin" --version 2>&1 | head -n 3 | tr '\n' ' ')" || true
  if [[ "$got" != *"$want"* ]]; then
    rm -f "$bin"
    die "$bin reported version '$got', expected '$want' (removed it)"
  fi
}

node_binaries_present() {
  [[ -x "$NODE_KUBE_BIN/kubelet" && -x "$NODE_KUBE_BIN/kube-proxy" && -x "$COREDNS_BIN/coredns" && -x "$PAUSE_BIN/pause" ]]
}

cmd_build() {
  mkdir -p "$NODE_CACHE"
  install_packages
  # The control plane (etcd, kube-apiserver, controller-manager, scheduler, metrics-server, kwokctl).
  "$SCRIPT_DIR/kwok-cluster.sh" build
  if node_binaries_present; then
    log "node binaries present in $NODE_CACHE/bin"
  else
    [[ -x "$GO" ]] || die "Go not found (set GO=/path/to/go, >= 1.26)"
    node_go_env
    printf '\n==== node build started %s (%s)\n' "$(date -Is)" "$("$GO" env GOVERSION)" >>"$BUILD_LOG"
    local start=$SECONDS
    build_pause
    build_kube_node
    build_coredns
    log "node binaries built in $((SECONDS - start)) s"
  fi
  build_images
}
