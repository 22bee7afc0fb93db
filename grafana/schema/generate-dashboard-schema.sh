#!/usr/bin/env bash
# Regenerate grafana/schema/dashboard-v<version>.schema.json from Grafana's own TypeScript types
# (npm @grafana/schema, the "Dashboard" raw kind), in a throw-away directory outside the repo.
# Usage: grafana/schema/generate-dashboard-schema.sh [grafana-schema-version]
set -euo pipefail
version="${1:-11.6.16}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "@grafana/schema@${version}" ts-json-schema-generator@2 typescript@5.9 >/dev/null
printf '%s\n' '{"compilerOptions": {"strict": true, "skipLibCheck": true, "moduleResolution": "node", "target": "es2020", "module": "es2020"}}' > tsconfig.json
npx ts-json-schema-generator \
  --path node_modules/@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen.d.ts \
  --type Dashboard --tsconfig tsconfig.json --no-type-check \
  -o "$here/dashboard-v${version}.schema.json"
echo "wrote $here/dashboard-v${version}.schema.json"
