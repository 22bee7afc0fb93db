"""The Cloudlysis Grafana dashboards as code: one module per dashboard.

* `queries`: every query string (PromQL, LogQL, TraceQL), defined once; no SDK imports;
* `panels`: the small panel library (datasources, panels, variables, dashboard skeleton);
* one module per dashboard, each with `dashboard()` returning its builder.

`../generate.py` lists the dashboards and renders them to grafana/dashboards/<uid>.json. This
file imports nothing, so `cloudlysis_dashboards.queries` can be imported without the SDK.
"""
