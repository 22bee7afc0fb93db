#!/usr/bin/env bash
# A Docker engine in Swarm mode for the real-engine tests (tests/swarm, tests/swarm_smoke).
# Idempotent, for CI on a FRESH machine (as root) and for a machine where an engine already
# runs: installs Debian's docker.io and debootstrap when missing, starts dockerd when no engine
# answers, `docker swarm init --advertise-addr 127.0.0.1` unless the node is already in a swarm.
# What it started is written to $DOCKER_STATE_FILE so scripts/docker-down.sh undoes exactly that
# (and nothing it found running). Fails loudly (exit 1) when it cannot get a working swarm.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${DOCKER_STATE_FILE:-$PWD/.ci/work/docker-up.state}
DOCKERD=${DOCKERD:-dockerd}  # the daemon to start (a variable so the failure path can be tried)
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
mkdir -p "$(dirname "$STATE")"
say() { printf '[docker-up %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'docker-up: FAILED: %s\n' "$*" >&2; exit 1; }

need=()
command -v "$DOCKERD" >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
# tests/swarm builds its tiny test images (busybox httpd) from Debian's static busybox.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# debootstrap verifies bookworm with Debian's archive key (not installed on e.g. Ubuntu).
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "not root: please install ${need[*]} (apt-get install -y ${need[*]})"
  say "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH after installing docker.io"

started_dockerd=0
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "no Docker engine answers and starting dockerd needs root"
  say "starting $DOCKERD (log: $DOCKERD_LOG)"
  setsid nohup "$DOCKERD" >"$DOCKERD_LOG" 2>&1 </dev/null &
  echo "dockerd_pid=$!" >"$STATE"
  started_dockerd=1
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$!" 2>/dev/null || break  # dockerd exited: no point waiting
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 "$DOCKERD_LOG" >&2; die "$DOCKERD exited or did not answer within 60 s"; }
else
  : >"$STATE"
fi
echo "started_dockerd=$started_dockerd" >>"$STATE"

# The swarm state survives dockerd restarts (and sessions): look before initialising.
node_state=$(docker info --format '{{.Swarm.LocalNodeState}}')
joined=0
case "$node_state" in
  active) say "swarm already active: using it" ;;
  inactive)
    say "docker swarm init --advertise-addr 127.0.0.1"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed"
    joined=1 ;;
  *) die "swarm node state is '$node_state' (expected active or inactive)" ;;
esac
echo "joined_swarm=$joined" >>"$STATE"
[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] \
  || die "this node is not a swarm manager (stack deploy needs one)"
say "engine $(docker info --format '{{.ServerVersion}}'), swarm active, manager"
