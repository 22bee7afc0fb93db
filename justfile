# Canonical commands. `./run <recipe>` installs uv and just first when they are missing.
set shell := ["bash", "-euo", "pipefail", "-c"]
set export

REPORTS := justfile_directory() / ".ci/reports"
CI_REPORTS_DIR := REPORTS

default:
    @just --list

# Install everything the demo and the tests need (idempotent).
setup: setup-api setup-ui setup-system

setup-api:
    cd api && uv sync --frozen

# npm ci only when node_modules is missing or older than the lock file.
setup-ui:
    if [ -f ui/package.json ] && { [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; }; then cd ui && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; fi

# System packages: VictoriaMetrics + promtool (observability tests), Chromium (UI e2e).
setup-system:
    scripts/install-system-deps.sh

# VictoriaMetrics + vmalert for the demo's metrics history; never fails the demo.
setup-obs:
    scripts/install-obs-tools.sh || echo "setup-obs: VictoriaMetrics could not be installed; the demo will run without a metrics history" >&2

# Bring up the demo: embedded NATS, the devfleet (+ tenant traffic), VictoriaMetrics + vmalert
# and the API (+ UI) on 127.0.0.1:8080 (CONTROL_PORT moves it); arguments go to
# `cloudlysis-demo`, e.g. `just demo --restart`. VictoriaMetrics is installed as `just test` does
# (Debian's package); when that is impossible the demo says so and runs without a metrics history.
# `exec`: no shell between just and uv, so a SIGTERM or SIGHUP of just reaches the demo.
demo *ARGS: setup-api setup-ui setup-obs
    if [ -f ui/package.json ] && { [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html ui/package.json -newer ui/dist/index.html 2>/dev/null | head -1)" ]; }; then cd ui && npm run build; fi
    cd api && exec uv run cloudlysis-demo --dir ../.demo {{ARGS}}

# The whole test suite: static checks, API (unit, integration, e2e, observability), UI unit and
# UI e2e. Ends with one line "N passed, N failed" summing every suite.
test: setup
    rm -rf "{{REPORTS}}" && mkdir -p "{{REPORTS}}"
    rc=0; just lint || rc=1; just typecheck || rc=1; just build || rc=1; just test-api || rc=1; just test-ui || rc=1; just test-e2e || rc=1; just test-swarm || rc=1; just test-ha || rc=1; python3 scripts/summarize.py "{{REPORTS}}" || rc=1; exit $rc

# API tests: unit (no servers), integration (real nats-server, devfleet, sockets), e2e (the demo),
# observability (real VictoriaMetrics), stacks (files and images). The real Docker engine's suites
# (tests/swarm, tests/swarm_smoke) run in `just test-swarm`.
test-api:
    cd api && uv run pytest -q -p no:cacheprovider --junitxml="{{REPORTS}}/api.xml" --ignore=tests/swarm_smoke --ignore=tests/swarm --ignore=tests/ha tests

# The real Docker engine (docs/stacks.md): scripts/docker-up.sh (installs docker.io, starts
# dockerd, `docker swarm init` when needed), scripts/build-images.sh (every image, locally, no
# registry), then tests/swarm (engine adapter, deployments) and tests/swarm_smoke (`docker stack
# deploy` of the stacks) with CONTROL_TEST_DOCKER=1, then scripts/docker-down.sh. Docker that
# cannot be started FAILS the run (a JUnit failure the summary counts), it is never skipped.
# Real-engine tests: Docker up, images built locally, tests/swarm + tests/swarm_smoke, Docker down.
test-swarm: setup-api
    #!/usr/bin/env bash
    set -uo pipefail
    mkdir -p "{{REPORTS}}"
    t0=$SECONDS
    trap 'scripts/docker-down.sh; echo "test-swarm: docker-down done at $((SECONDS - t0)) s" >&2' EXIT
    scripts/check.sh docker-up -- scripts/docker-up.sh || { echo "test-swarm: FAILED: no Docker engine in swarm mode" >&2; exit 1; }
    t1=$SECONDS
    scripts/check.sh build-images -- scripts/build-images.sh || exit 1
    t2=$SECONDS
    # The real-engine tests (file mode and the normaliser run in test-api).
    dirs=(tests/swarm tests/swarm_smoke)
    rc=0
    (cd api && CONTROL_TEST_DOCKER=1 uv run pytest -q -p no:cacheprovider --junitxml="{{REPORTS}}/swarm.xml" "${dirs[@]}") || rc=1
    echo "test-swarm: docker-up $((t1 - t0)) s, images $((t2 - t1)) s, tests $((SECONDS - t2)) s" >&2
    exit $rc

# Issue 19 — HA suite (docs/ha.md, "What the HA suite proves"): three real nats-server processes
# as one JetStream cluster on loopback, the devfleet and two API processes; NATS nodes and API
# replicas are SIGKILLed, restarted and SIGSTOPped under a tenant migration and under 200 clients
# for 60 s (CONTROL_HA_LOAD_S). Reads nothing from the other suites; about 3 minutes on 2 CPUs.
test-ha: setup-api
    mkdir -p "{{REPORTS}}"
    cd api && uv run pytest -q -s -p no:cacheprovider --junitxml="{{REPORTS}}/ha.xml" tests/ha

test-ui:
    if [ -f ui/package.json ]; then cd ui && CI_REPORTS=1 npm run test; fi

# Playwright in Debian Chromium against a freshly started demo.
test-e2e:
    if [ -f ui/package.json ]; then scripts/e2e.sh; fi

lint:
    #!/usr/bin/env bash
    set -uo pipefail
    rc=0
    scripts/check.sh ruff-format -- bash -c "cd api && uv run ruff format --check src devfleet tests benchmarks ../grafana/dashboards-src ../stacks/ui" || rc=1
    scripts/check.sh ruff-lint -- bash -c "cd api && uv run ruff check src devfleet tests benchmarks ../grafana/dashboards-src ../stacks/ui" || rc=1
    scripts/check.sh import-layers -- bash -c "cd api && uv run lint-imports" || rc=1
    scripts/check.sh openapi-committed -- just openapi-check || rc=1
    scripts/check.sh dashboards-committed -- bash -c "cd api && uv run python ../grafana/dashboards-src/generate.py --check" || rc=1
    scripts/check.sh ui-headers-committed -- python3 stacks/ui/generate.py --check || rc=1
    if [ -f ui/package.json ]; then scripts/check.sh ui-lint -- bash -c "cd ui && npm run lint" || rc=1; fi
    if [ -f ui/package.json ]; then scripts/check.sh ui-client-committed -- just gen-check || rc=1; fi
    exit $rc

fmt:
    cd api && uv run ruff format src devfleet tests benchmarks ../grafana/dashboards-src ../stacks/ui && uv run ruff check --fix src devfleet tests benchmarks ../grafana/dashboards-src ../stacks/ui

typecheck:
    #!/usr/bin/env bash
    set -uo pipefail
    rc=0
    scripts/check.sh mypy-strict -- bash -c "cd api && uv run mypy src && uv run mypy --strict devfleet/src" || rc=1
    if [ -f ui/package.json ]; then scripts/check.sh ui-typecheck -- bash -c "cd ui && npm run typecheck" || rc=1; fi
    exit $rc

build:
    #!/usr/bin/env bash
    set -uo pipefail
    rc=0
    scripts/check.sh api-wheel -- bash -c "cd api && uv build --wheel --out-dir ../.ci/work/dist" || rc=1
    if [ -f ui/package.json ]; then scripts/check.sh ui-build -- bash -c "cd ui && npm run build && npm run size" || rc=1; fi
    exit $rc

# Write the OpenAPI schema the code produces to api/openapi.json.
openapi:
    cd api && uv run cloudlysis-control openapi --output openapi.json

openapi-check:
    cd api && uv run cloudlysis-control openapi --output - | diff -u openapi.json - > /dev/null || { echo "api/openapi.json is stale: run 'just gen' and commit"; exit 1; }

# Regenerate the schema and the UI's typed client, and the UI image's nginx header snippets.
gen: openapi
    python3 stacks/ui/generate.py
    if [ -f ui/package.json ]; then cd ui && npm run gen; fi

gen-check:
    cd ui && cp src/api/schema.d.ts /tmp/schema.before.d.ts && npm run gen >/dev/null && diff -u /tmp/schema.before.d.ts src/api/schema.d.ts > /dev/null || { cp /tmp/schema.before.d.ts src/api/schema.d.ts; echo "ui/src/api/schema.d.ts is stale: run 'just gen' and commit"; exit 1; }

bench:
    cd api && uv run python benchmarks/run_all.py
    if [ -f ui/package.json ]; then cd ui && npm run bench; fi

# Everything CI runs (the same as `test`).
ci: test
