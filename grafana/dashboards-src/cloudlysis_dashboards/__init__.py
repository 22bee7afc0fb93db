"""The Cloudlysis Grafana dashboards as code: one module per dashboard.

* every query string (PromQL, LogQL, TraceQL) is defined once, in the API package
  (`cloudlysis_control.metrics.queries`): the console's charts run the same strings, so the
  console and Grafana never disagree;
* `panels`: the small panel library (datasources, panels, variables, dashboard skeleton);
* one module per dashboard, each with `dashboard()` returning its builder.

`../generate.py` (run with the API's environment: `cd api && uv run python
../grafana/dashboards-src/generate.py`) lists the dashboards and renders them to
grafana/dashboards/<uid>.json.
"""
