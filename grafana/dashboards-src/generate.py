"""Generate the Cloudlysis Grafana dashboards (Grafana 11.6, schemaVersion 41) as code.

Run from the api venv (it pins grafana-foundation-sdk==1769699379!11.6.0):

    cd api && uv run python ../grafana/dashboards-src/generate.py          # write JSON
    cd api && uv run python ../grafana/dashboards-src/generate.py --check  # CI: fail on drift

The dashboards live in the `cloudlysis_dashboards` package next to this script: one module per
dashboard, `panels.py` (the panel library) and `queries.py` (every query string, defined once).
This script renders them and writes or checks grafana/dashboards/<uid>.json.

Every PromQL expression is executed against a real VictoriaMetrics loaded with fixtures for
the instrumentation contract (docs/observability/metrics-contract.yaml) by
api/tests/observability. Conventions:

* datasources are referenced by fixed uids: victoriametrics, loki, tempo;
* every dashboard has the `service` and `version` variables (All = ".*", regex matchers) and
  the deploy annotation (Grafana annotations tagged `deploy`, written by the control plane);
* tenant breakdowns are always wrapped in topk() and the tenant label is bounded by contract;
* no query groups by request_id, correlation_id or trace_id.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloudlysis_dashboards import (
    bottlenecks,
    cluster,
    eventbus,
    exhaustion,
    http_detail,
    logs,
    noisy_neighbor,
    ops_overview,
    regression,
    storage,
    traces,
    workers,
)
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "grafana" / "dashboards"

# In this order: the order of --check messages.
DASHBOARDS: list[Callable[[], Any]] = [
    ops_overview.dashboard,
    http_detail.dashboard,
    logs.dashboard,
    traces.dashboard,
    eventbus.dashboard,
    workers.dashboard,
    storage.dashboard,
    cluster.dashboard,
    noisy_neighbor.dashboard,
    regression.dashboard,
    bottlenecks.dashboard,
    exhaustion.dashboard,
]


# --------------------------------------------------------------------------- output


# grafana-foundation-sdk emits these interval-variable fields on every variable; Grafana 11.6's
# own Dashboard schema (grafana/schema/dashboard-v11.6.16.schema.json) does not allow them on
# the variable model, and they mean nothing for query/custom/textbox variables: drop them.
_INTERVAL_ONLY_KEYS = ("auto", "auto_count", "auto_min")


def _clean_variables(model: dict[str, Any]) -> None:
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") != "interval":
            for key in _INTERVAL_ONLY_KEYS:
                var.pop(key, None)


def _assign_ids(model: dict[str, Any]) -> None:
    next_id = 1
    for panel in model.get("panels", []):
        panel["id"] = next_id
        next_id += 1
        for sub in panel.get("panels", []) or []:
            sub["id"] = next_id
            next_id += 1


def render(builder: Builder[Any]) -> tuple[str, str]:
    built = builder.build()
    model: dict[str, Any] = json.loads(json.dumps(built, cls=JSONEncoder))
    _assign_ids(model)
    _clean_variables(model)
    return f"{model['uid']}.json", json.dumps(
        model, indent=2, sort_keys=True, ensure_ascii=False
    ) + "\n"


def render_all() -> dict[str, str]:
    out: dict[str, str] = {}
    for fn in DASHBOARDS:
        name, text = render(fn())
        if name in out:
            raise SystemExit(f"duplicate dashboard uid file {name}")
        out[name] = text
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed JSON differs")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    rendered = render_all()
    out_dir: Path = args.out
    if args.check:
        problems: list[str] = []
        existing = {p.name for p in out_dir.glob("*.json")} if out_dir.is_dir() else set()
        for name, text in rendered.items():
            path = out_dir / name
            current = path.read_text() if path.exists() else None
            if current != text:
                diff = "".join(
                    list(
                        difflib.unified_diff(
                            (current or "").splitlines(keepends=True),
                            text.splitlines(keepends=True),
                            f"committed/{name}",
                            f"generated/{name}",
                        )
                    )[:40]
                )
                problems.append(f"{name} differs from the generator output\n{diff}")
        for stale in sorted(existing - set(rendered)):
            problems.append(f"{stale} is not produced by the generator (stale file)")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print(
                "dashboards out of date: run "
                "`cd api && uv run python ../grafana/dashboards-src/generate.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{len(rendered)} dashboards up to date")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (out_dir / name).write_text(text)
    for stale in sorted({p.name for p in out_dir.glob("*.json")} - set(rendered)):
        (out_dir / stale).unlink()
    print(f"wrote {len(rendered)} dashboards to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
