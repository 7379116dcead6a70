# Image half of scripts/real-node.sh (sourced): a Debian base (mmdebstrap), the project's
# Dockerfiles built FROM it with buildah, the infrastructure images of scripts/node/images/, and
# their import into the node's containerd. Every image's tag is a hash of its inputs, so an image
# is rebuilt only when an input changed; archives are kept in $NODE_CACHE/images.
# shellcheck shell=bash

IMAGES_DIR="$NODE_CACHE/images"
# Packages of the base image: what python:3.11-slim offers that the Dockerfiles use.
BASE_PACKAGES=python3,python3-pip,python-is-python3,passwd,ca-certificates
# name -> SERVICE build argument of k8s/images/Dockerfile
declare -A SERVICE_IMAGES=([query-api]=query_api [symbol-registry]=symbol_registry
  [risk-engine]=risk_engine [trading-engine]=trading_engine [frontend]=frontend)
# name -> files of the repository an infrastructure image carries beside its own directory (the
# bucket Job signs its requests with the plugin's S3 client, which needs only the standard library)
declare -A INFRA_EXTRA=([s3]=src/pytest_stonks_sandbox/_core/s3write.py)

buildah_() {
  buildah --root "$NODE_CACHE/buildah/storage" --runroot "$STATE/buildah" --storage-driver overlay "$@"
}

# hash_inputs <path...>: a short hash of the files' names and contents (bytecode excluded).
hash_inputs() {
  (cd "$REPO" && find "$@" -type f ! -path '*/__pycache__/*' ! -path '*.egg-info/*' -print0 | sort -z \
    | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

PAUSE_IMAGE="localhost/stonks-node/pause:$(sha256sum "$HELPERS/pause/main.go" | cut -c1-12)"
base_image() { echo "localhost/stonks-node/base:$(printf '%s %s' "$DEBIAN_SUITE" "$BASE_PACKAGES" | sha256sum | cut -c1-12)"; }
# The tag of the service images: Dockerfile, services tree and base.
image_tag() { echo "node-$(printf '%s %s' "$(hash_inputs k8s/images/Dockerfile services)" "$(base_image)" | sha256sum | cut -c1-12)"; }
# shellcheck disable=SC2086  # INFRA_EXTRA holds paths without spaces, one word each
infra_image() { echo "localhost/stonks-node/$1:$(printf '%s %s' "$(hash_inputs "scripts/node/images/$1" ${INFRA_EXTRA[$1]:-})" "$(base_image)" | sha256sum | cut -c1-12)"; }

# What the runner image holds (k8s/images/Dockerfile.runner copies its context, this list).
RUNNER_INPUTS=(pyproject.toml README.md run_pipeline.sh src services seeds tests/integration k8s)
RUNNER_REPO=localhost/stonks-oracle/inttest-runner
runner_image_ref() { echo "$RUNNER_REPO:runner-$(printf '%s %s' "$(hash_inputs k8s/images/Dockerfile.runner "${RUNNER_INPUTS[@]}")" "$(base_image)" | sha256sum | cut -c1-12)"; }
# Hashed once per invocation: `up` imports what its own build made even if a file changes meanwhile.
RUNNER_IMAGE=""
runner_image() { [[ -n "$RUNNER_IMAGE" ]] || RUNNER_IMAGE="$(runner_image_ref)"; echo "$RUNNER_IMAGE"; }

archive_of() { local ref="$1"; ref="${ref#localhost/}"; echo "$IMAGES_DIR/${ref//[\/:]/_}.tar"; }

# save_image <ref>: the built image as a docker-archive (which keeps its name for ctr import).
save_image() {
  local ref="$1" out
  out="$(archive_of "$ref")"
  rm -f "$out.tmp"
  buildah_ push --quiet "$ref" "docker-archive:$out.tmp:$ref" >>"$BUILD_LOG" 2>&1 || die "could not save $ref; see $BUILD_LOG"
  mv "$out.tmp" "$out"
  # Earlier builds of the same image are replaced, not kept beside it (up to a gigabyte each).
  local name="${ref#localhost/}" old
  name="${name%:*}"
  for old in "$IMAGES_DIR/${name//\//_}"_*.tar; do
    [[ -e "$old" && "$old" != "$out" ]] && rm -f "$old"
  done
  return 0
}

# timed <what> <function> <args...>: run a build step and log its duration.
timed() {
  local what="$1" start=$SECONDS; shift
  "$@"
  log "  $what: $((SECONDS - start)) s"
}

build_pause_image() {
  local c
  c="$(buildah_ from scratch)"
  buildah_ copy "$c" "$PAUSE_BIN/pause" /pause >/dev/null
  buildah_ config --entrypoint '["/pause"]' --user 65535:65535 "$c"
  buildah_ commit --quiet --rm "$c" "$PAUSE_IMAGE" >/dev/null
}

build_base_image() {
  # (mmdebstrap chooses the output format from the file name's extension)
  local rootfs="$IMAGES_DIR/rootfs-$DEBIAN_SUITE.tar" c
  rm -f "$rootfs"
  nice -n 19 mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" "$DEBIAN_SUITE" "$rootfs" \
    >>"$BUILD_LOG" 2>&1 || { rm -f "$rootfs"; die "mmdebstrap $DEBIAN_SUITE failed; see $BUILD_LOG"; }
  c="$(buildah_ from scratch)"
  buildah_ add "$c" "$rootfs" / >/dev/null
  # Like python:3.11-slim, pip installs into the image's Python (Debian marks it externally
  # managed for hosts, which an image is not).
  buildah_ run --runtime /usr/sbin/runc --network host "$c" -- rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
  buildah_ config --env LANG=C.UTF-8 --cmd '["python3"]' "$c"
  buildah_ commit --quiet --rm "$c" "$(base_image)" >/dev/null
  rm -f "$rootfs"
}

# bud <ref> <containerfile> <context> [build-arg...]: buildah build with runc and the host network
# (buildah's own RUN network would add a bridge and firewall rules and switch on ip_forward).
bud() {
  local ref="$1" file="$2" context="$3"; shift 3
  local args=() a
  for a in "$@"; do args+=(--build-arg "$a"); done
  # RUN steps trust what the host trusts (a host behind a TLS-inspecting proxy has its own CA);
  # the bundle is mounted for the build only, never committed into an image.
  local bundle=/etc/ssl/certs/ca-certificates.crt
  [[ -f "$bundle" ]] && args+=(--volume "$bundle:$bundle:ro")
  nice -n 19 buildah --root "$NODE_CACHE/buildah/storage" --runroot "$STATE/buildah" --storage-driver overlay \
    bud --quiet --runtime /usr/sbin/runc --network host --layers \
    --build-arg "BASE=$(base_image)" "${args[@]}" -f "$file" -t "$ref" "$context" >>"$BUILD_LOG" 2>&1 \
    || die "building $ref from $file failed; see the end of $BUILD_LOG"
}

# The runner is built from a context of its inputs only (no .git, .venv or caches).
build_runner_image() {
  local context="$NODE_CACHE/runner-context"
  rm -rf "$context" && mkdir -p "$context"
  (cd "$REPO" && tar cf - --exclude=__pycache__ --exclude='*.egg-info' --exclude=.pytest_cache \
    "${RUNNER_INPUTS[@]}") | tar xf - -C "$context"
  bud "$1" "$REPO/k8s/images/Dockerfile.runner" "$context"
  rm -rf "$context"
}

# build_infra_image <ref> <name>: from a context of scripts/node/images/<name> and its extra files.
build_infra_image() {
  local context="$NODE_CACHE/$2-context" extra
  rm -rf "$context" && mkdir -p "$context"
  cp -a "$HELPERS/images/$2/." "$context/"
  # shellcheck disable=SC2086  # as in infra_image
  for extra in ${INFRA_EXTRA[$2]:-}; do cp "$REPO/$extra" "$context/"; done
  bud "$1" "$context/Containerfile" "$context"
  rm -rf "$context"
}

# ensure_image <ref> <build command...>: build and save unless its archive exists.
ensure_image() {
  local ref="$1"; shift
  [[ -s "$(archive_of "$ref")" ]] && return 0
  log "building image $ref"
  timed "$ref" "$@"
  save_image "$ref"
}

# Every image the node runs, one reference a line (what `up` imports).
node_images() {
  echo "$PAUSE_IMAGE"
  local name tag
  tag="$(image_tag)"
  for name in "${!SERVICE_IMAGES[@]}"; do echo "localhost/stonks-oracle/$name:$tag"; done
  for name in postgres redis s3; do infra_image "$name"; done
  runner_image
}

build_images() {
  mkdir -p "$IMAGES_DIR" "$STATE"
  runner_image >/dev/null  # (in this shell, not a subshell: hashed once)
  local start=$SECONDS name tag
  ensure_image "$PAUSE_IMAGE" build_pause_image
  # The base is an input of every other image; its archive is not needed on the node.
  if ! buildah_ inspect --type image "$(base_image)" >/dev/null 2>&1; then
    log "building the base image $(base_image) (mmdebstrap $DEBIAN_SUITE: $BASE_PACKAGES)"
    timed "base image" build_base_image
  fi
  tag="$(image_tag)"
  for name in "${!SERVICE_IMAGES[@]}"; do
    ensure_image "localhost/stonks-oracle/$name:$tag" \
      bud "localhost/stonks-oracle/$name:$tag" "$REPO/k8s/images/Dockerfile" "$REPO" "SERVICE=${SERVICE_IMAGES[$name]}"
  done
  for name in postgres redis s3; do
    ensure_image "$(infra_image "$name")" build_infra_image "$(infra_image "$name")" "$name"
  done
  ensure_image "$(runner_image)" build_runner_image "$(runner_image)"
  log "images ready in $((SECONDS - start)) s (service tag $tag)"
}

# Import every image the node runs that its containerd does not hold yet.
import_images() {
  local have ref
  runner_image >/dev/null
  have="$(ctr_k8s images ls -q)"
  for ref in $(node_images); do
    grep -qxF "$ref" <<<"$have" && continue
    [[ -s "$(archive_of "$ref")" ]] || die "no archive for $ref; run '$0 build'"
    log "importing $ref into containerd"
    ctr_k8s images import "$(archive_of "$ref")" >>"$RUN/logs/import.log" 2>&1 \
      || die "ctr images import of $ref failed; see $RUN/logs/import.log"
  done
  # k8s/node/infra.yaml names the infrastructure images with the services' tag.
  local name tag
  tag="$(image_tag)"
  for name in postgres redis s3; do
    ctr_k8s images tag --force "$(infra_image "$name")" "localhost/stonks-node/$name:$tag" >/dev/null
  done
  # `run_pipeline.sh --in-cluster --image-tag TAG` runs the runner image of the same tag.
  ctr_k8s images tag --force "$(runner_image)" "$RUNNER_REPO:$tag" >/dev/null
}
