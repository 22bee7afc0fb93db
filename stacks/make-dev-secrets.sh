#!/bin/sh
# Writes random DEV/CI secret files for the stacks (never for production: create those with
# your secret manager). Usage: stacks/make-dev-secrets.sh [DIR]   (default: stacks/secrets)
# Existing files are kept. Then: CLOUDLYSIS_SECRETS_DIR=DIR docker stack deploy ...
set -eu
dir=${1:-$(dirname "$0")/secrets}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
gen() { [ -s "$dir/$1" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"$dir/$1"; }
gen gateway_signing_key      # placeholder: the real Gateway expects its key format here
gen nats_credentials         # placeholder: a NATS .creds file once NATS auth is enabled
gen grafana_admin_password
echo "secrets in $dir"
