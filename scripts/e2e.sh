#!/usr/bin/env bash
# Playwright (Debian Chromium) against a freshly started demo; stops the demo afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
port=${E2E_PORT:-8080}
dir=$(mktemp -d /tmp/cloudlysis-e2e.XXXXXX)
log="$dir/demo.log"
(cd ui && npm run build >/dev/null) || { echo "e2e: ui build failed" >&2; exit 1; }
# Password and SSO sign-ins get 20 s access tokens here, so a spec sees the console refresh one.
(cd api && DEMO_GATEWAY_ACCESS_TTL_S=${DEMO_GATEWAY_ACCESS_TTL_S:-20} exec uv run cloudlysis-demo --dir "$dir" --port "$port") >"$log" 2>&1 &
demo=$!
cleanup() {
  kill -INT "$demo" 2>/dev/null
  for _ in $(seq 1 40); do kill -0 "$demo" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$demo" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  if [ -f "$dir/passwords/acme-operator.txt" ] && curl -fs "http://127.0.0.1:$port/ready" >/dev/null; then break; fi
  if ! kill -0 "$demo" 2>/dev/null; then echo "e2e: demo exited" >&2; tail -50 "$log" >&2; exit 1; fi
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/ready" >/dev/null || { echo "e2e: demo not ready" >&2; tail -50 "$log" >&2; exit 1; }
# Arguments go to Playwright: spec files, -g "title", … (none: every spec).
cd ui && E2E_BASE_URL="http://127.0.0.1:$port" E2E_TOKENS_DIR="$dir/tokens" E2E_ACCESS_TTL_S=${DEMO_GATEWAY_ACCESS_TTL_S:-20} CI_REPORTS=1 npm run e2e -- "$@"
