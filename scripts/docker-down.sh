#!/usr/bin/env bash
# Undo what a test run created on the Docker engine, and what scripts/docker-up.sh started:
# - stacks named cltest* (the swarm smoke test deploys `cltest-smoke-<pid>` and removes it
#   itself; this catches an interrupted run; a stack whose <pid> still runs is not touched),
# - services labelled cloudlysis.test=true (real-engine tests label what they create),
# - the named volumes of those stacks (`docker stack rm` keeps volumes),
# - dangling old builds of our images,
# - the swarm, only if docker-up joined it; dockerd, only if docker-up started it.
# Never touches other stacks or services. Idempotent; a missing engine is not an error here.
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=${DOCKER_STATE_FILE:-$PWD/.ci/work/docker-up.state}
say() { printf '[docker-down %3ss] %s\n' "$SECONDS" "$*" >&2; }
if ! docker info >/dev/null 2>&1; then say "no engine answers: nothing to clean"; exit 0; fi

# Test stacks, deployed or only their volumes left (`docker stack rm` keeps named volumes).
namespaces=$( { docker stack ls --format '{{.Name}}'
                docker volume ls --format '{{.Label "com.docker.stack.namespace"}}'; } \
              | grep '^cltest' | sort -u || true)
leftovers=()
for stack in $namespaces; do
  # cltest-smoke-<pid>: still owned by a running test process (another worktree's run on a
  # shared engine)? Then it is not a leftover.
  owner=${stack##*-}
  if [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; then
    say "$stack: its test process $owner still runs: kept"
    continue
  fi
  leftovers+=("$stack")
  if docker stack ls --format '{{.Name}}' | grep -qx "$stack"; then
    say "docker stack rm $stack"
    docker stack rm "$stack" >/dev/null
  fi
done
services=$(docker service ls -q --filter label=cloudlysis.test=true)
if [ -n "$services" ]; then
  say "removing test services: $(echo $services)"
  docker service rm $services >/dev/null
fi
# Containers and overlay networks go some seconds after `stack rm`; then the volumes are free.
for stack in "${leftovers[@]}"; do
  label="label=com.docker.stack.namespace=$stack"
  for _ in $(seq 1 60); do
    [ -z "$(docker ps -aq --filter "$label")$(docker network ls -q --filter "$label")" ] && break
    sleep 1
  done
  volumes=$(docker volume ls -q --filter "$label")
  if [ -n "$volumes" ]; then
    docker volume rm $volumes >/dev/null || say "$stack: volumes still in use: kept"
  fi
done
docker image prune -f --filter label=org.opencontainers.image.title=cloudlysis-control-api >/dev/null 2>&1
docker image prune -f --filter label=org.opencontainers.image.title=cloudlysis-control-ui >/dev/null 2>&1

state() { [ -f "$STATE" ] && sed -n "s/^$1=//p" "$STATE" | tail -1; }
if [ "$(state joined_swarm)" = 1 ]; then
  say "docker swarm leave --force (docker-up joined it)"
  docker swarm leave --force >/dev/null || true
fi
pid=$(state dockerd_pid)
if [ "$(state started_dockerd)" = 1 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  say "stopping dockerd $pid (docker-up started it)"
  kill "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
rm -f "$STATE"
exit 0
