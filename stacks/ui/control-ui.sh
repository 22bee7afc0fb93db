#!/bin/sh
# Entry point of the control-ui image (/usr/local/bin/control-ui): renders the nginx
# configuration from the environment, then runs nginx in the foreground (`exec`: nginx is the
# container's main process and gets its signals). Arguments go to nginx (`control-ui -t` tests
# the configuration). Everything it writes is under UI_RUN_DIR (/tmp/nginx): the root file
# system may be read-only.
#
#   UI_PORT      port to listen on (8080)
#   UI_API_URL   the control API, http(s)://host[:port] without a path (http://api:8080)
#   UI_RUN_DIR   where the rendered configuration, pid file and temporary files go (/tmp/nginx)
#   UI_RESOLVER  DNS servers for the API's name (default: the nameservers of /etc/resolv.conf,
#                Docker's 127.0.0.11 in a container)
set -eu

conf_dir=${UI_CONF_DIR:-/etc/cloudlysis-ui}
run_dir=${UI_RUN_DIR:-/tmp/nginx}
resolv_conf=${UI_RESOLV_CONF:-/etc/resolv.conf}
port=${UI_PORT:-8080}
api=${UI_API_URL:-http://api:8080}
api=${api%/}

fail() { echo "control-ui: $*" >&2; exit 2; }

# Values end up in nginx's configuration: only what a port, a URL or an address can hold.
case "$run_dir" in /*) ;; *) fail "UI_RUN_DIR must be an absolute path, got '$run_dir'" ;; esac
case "$run_dir" in *[!A-Za-z0-9._/-]*) fail "UI_RUN_DIR: letters, digits, . _ - / only, got '$run_dir'" ;; esac
case "$port" in '' | *[!0-9]*) fail "UI_PORT must be a port number, got '$port'" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || fail "UI_PORT must be 1-65535, got '$port'"
case "$api" in
  http://?* | https://?*) ;;
  *) fail "UI_API_URL must be http(s)://host[:port], got '$api'" ;;
esac
case "${api#*://}" in
  */* | *[!A-Za-z0-9.:_\[\]-]*) fail "UI_API_URL must be http(s)://host[:port] without a path, got '$api'" ;;
esac

if [ -n "${UI_RESOLVER:-}" ]; then
  resolvers=$UI_RESOLVER
else
  resolvers=""
  while read -r key value _; do
    [ "$key" = nameserver ] || continue
    case "$value" in
      *%*) continue ;;                 # a link-local address with a zone: nginx cannot use it
      *:*) value="[$value]" ;;         # IPv6
    esac
    resolvers="$resolvers $value"
  done <"$resolv_conf"
fi
case "$resolvers" in
  *[!A-Za-z0-9.:\[\]\ ]*) fail "UI_RESOLVER must be addresses separated by spaces, got '$resolvers'" ;;
esac
resolvers=$(printf '%s' "$resolvers" | tr -s ' ' | sed 's/^ //; s/ $//')
if [ -n "$resolvers" ]; then
  resolver_line="    resolver $resolvers valid=10s ipv6=off;"
else  # no DNS server: an API named by its IP address still works
  resolver_line="    # no resolver: no nameserver in $resolv_conf and UI_RESOLVER unset"
fi

mkdir -p "$run_dir"
sed -e "s|@UI_PORT@|$port|g" \
    -e "s|@UI_API_URL@|$api|g" \
    -e "s|@UI_RUN_DIR@|$run_dir|g" \
    -e "s|^@UI_RESOLVER@\$|$resolver_line|" \
    "$conf_dir/nginx.conf.template" >"$run_dir/nginx.conf"
exec "${NGINX:-nginx}" -e stderr -c "$run_dir/nginx.conf" "$@"
