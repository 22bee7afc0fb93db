#!/usr/bin/env bash
# Install the observability binaries the tests and CI checks need, from Debian packages:
#   victoria-metrics (victoria-metrics, vmagent, vmalert, vmctl) and prometheus (promtool).
# Idempotent: when every binary is already on PATH, apt is not touched at all.
# Grafana, Loki, Tempo and Alloy are not installable here; their configs are schema-checked.
set -euo pipefail

required=(victoria-metrics vmagent vmalert promtool)
missing=()
for bin in "${required[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-obs-tools: already installed (${required[*]})"
  exit 0
fi

echo "install-obs-tools: missing ${missing[*]}; installing victoria-metrics and prometheus"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends victoria-metrics prometheus >/dev/null

# Debian's prometheus package starts a service on install where an init system runs; the tools
# are all we need, so stop it when that is possible (ignore failures in containers).
if command -v systemctl >/dev/null 2>&1; then
  "${sudo_cmd[@]}" systemctl disable --now prometheus victoria-metrics >/dev/null 2>&1 || true
fi

for bin in "${required[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || { echo "install-obs-tools: $bin still missing" >&2; exit 1; }
done
echo "install-obs-tools: installed $(dpkg-query -W -f='victoria-metrics ${Version} ' victoria-metrics) $(dpkg-query -W -f='prometheus ${Version}' prometheus)"
