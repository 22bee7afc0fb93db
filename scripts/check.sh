#!/usr/bin/env bash
# Run one check and record it as a JUnit test case, so CI's summary counts it.
#   scripts/check.sh NAME -- command args...
set -uo pipefail
name=$1; shift; [ "${1:-}" = "--" ] && shift
reports=${CI_REPORTS_DIR:-.ci/reports}
mkdir -p "$reports"
log=$(mktemp)
start=$(date +%s.%N)
"$@" >"$log" 2>&1
rc=$?
end=$(date +%s.%N)
cat "$log"
secs=$(python3 -c "print(round($end-$start,3))")
safe=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_')
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo "<testsuite name=\"check-$safe\" tests=\"1\" failures=\"$([ $rc -eq 0 ] && echo 0 || echo 1)\" time=\"$secs\">"
  echo "<testcase classname=\"checks\" name=\"$safe\" time=\"$secs\">"
  if [ $rc -ne 0 ]; then
    echo "<failure message=\"exit $rc\"><![CDATA["; tail -c 4000 "$log" | sed 's/]]>/]] >/g'; echo "]]></failure>"
  fi
  echo "</testcase></testsuite>"
} > "$reports/check-$safe.xml"
rm -f "$log"
if [ $rc -ne 0 ]; then echo "check $name: FAILED (exit $rc)" >&2; else echo "check $name: ok" >&2; fi
exit $rc
