"""Scrape config, rules, provisioning, Loki, Tempo and Alloy configs.

vmagent/vmalert/promtool are real (Debian packages) and must be installed: these tests fail,
not skip, without them. Grafana, Loki, Tempo and Alloy are not installable here; their configs
are validated against schemas kept in the repo plus semantic checks.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
from pathlib import Path
from typing import Any

import alloy_syntax
import jsonschema
import pytest
import yaml
from tests.support.obs import (
    DASHBOARDS_DIR,
    ID_LABELS,
    PROVISIONING_DIR,
    REPO,
    RULES_DIR,
    SCRAPE_CONFIG,
    load_dashboards,
    load_rule_files,
    require_binary,
    run,
)

RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
SCRAPE = yaml.safe_load(SCRAPE_CONFIG.read_text())
JOBS = {job["job_name"]: job for job in SCRAPE["scrape_configs"]}


def _flags(path: Path) -> list[str]:
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _schema(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


# --------------------------------------------------------------------------- vmagent / promtool


def test_vmagent_dry_run_accepts_scrape_config() -> None:
    proc = run(
        [
            require_binary("vmagent"),
            f"-promscrape.config={SCRAPE_CONFIG}",
            "-promscrape.config.strictParse=true",
            "-dryRun",
        ]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all the configs are ok" in proc.stdout + proc.stderr


def test_vmagent_dry_run_accepts_the_deployed_flags() -> None:
    flags = [
        f"-promscrape.config={SCRAPE_CONFIG}" if f.startswith("-promscrape.config=") else f
        for f in _flags(REPO / "vmagent" / "vmagent.flags")
        if not f.startswith(("-remoteWrite.tmpDataPath", "-httpListenAddr"))
    ]
    assert any(f.startswith("-remoteWrite.url=http://victoriametrics:8428/") for f in flags)
    proc = run([require_binary("vmagent"), *flags, "-dryRun"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_check_config() -> None:
    proc = run([require_binary("promtool"), "check", "config", str(SCRAPE_CONFIG)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_tools_reject_a_broken_scrape_config(tmp_path: Path) -> None:
    broken = tmp_path / "scrape.yml"
    text = SCRAPE_CONFIG.read_text().replace("scrape_timeout: 10s", "scrape_timeot: 10s", 1)
    broken.write_text(text)
    vm = run([require_binary("vmagent"), f"-promscrape.config={broken}", "-dryRun"])
    assert vm.returncode != 0
    prom = run([require_binary("promtool"), "check", "config", str(broken)])
    assert prom.returncode != 0


def test_vmalert_dry_run_accepts_rules() -> None:
    proc = run([require_binary("vmalert"), f"-rule={RULES_DIR}/*.yml", "-dryRun"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_vmalert_flags_file_points_at_victoriametrics() -> None:
    flags = _flags(REPO / "vmagent" / "vmalert.flags")
    for prefix in ("-datasource.url=", "-remoteWrite.url=", "-rule="):
        assert any(f.startswith(prefix) for f in flags), prefix
    assert any(f.startswith("-datasource.url=http://victoriametrics:8428") for f in flags)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rules(path: Path) -> None:
    proc = run([require_binary("promtool"), "check", "rules", str(path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_tools_reject_broken_rules(tmp_path: Path) -> None:
    broken = tmp_path / "bad.yml"
    broken.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(rate(x_total[5m])\n"
    )
    assert run([require_binary("vmalert"), f"-rule={broken}", "-dryRun"]).returncode != 0
    assert run([require_binary("promtool"), "check", "rules", str(broken)]).returncode != 0


# --------------------------------------------------------------------------- scrape semantics


def test_scrape_jobs_present() -> None:
    assert {
        "platform",
        "control-api",
        "node-exporter",
        "cadvisor",
        "nats",
        "docker-engine",
    } <= set(JOBS)


@pytest.mark.parametrize("job", ["platform", "control-api"])
def test_platform_jobs_use_swarm_tasks_opt_in_and_build_labels(job: str) -> None:
    cfg = JOBS[job]
    (sd,) = cfg["dockerswarm_sd_configs"]
    assert sd["role"] == "tasks"
    assert "refresh_interval" not in sd  # unsupported by vmagent 1.79: use the flag
    relabel = cfg["relabel_configs"]
    keep_sources = {tuple(r["source_labels"]) for r in relabel if r.get("action") == "keep"}
    assert ("__meta_dockerswarm_container_label_cloudlysis_scrape",) in keep_sources
    targets = {r["target_label"]: r["source_labels"] for r in relabel if r.get("target_label")}
    for label, container_label in {
        "service": "cloudlysis_service",
        "version": "cloudlysis_version",
        "image_tag": "cloudlysis_image_tag",
        "git_sha": "cloudlysis_git_sha",
    }.items():
        assert targets[label] == [f"__meta_dockerswarm_container_label_{container_label}"]
    assert targets["node"] == ["__meta_dockerswarm_node_hostname"]


def test_every_job_scrapes_swarm_discovered_targets_only() -> None:
    for name, cfg in JOBS.items():
        assert "static_configs" not in cfg, name
        (sd,) = cfg["dockerswarm_sd_configs"]
        assert sd["host"] == "unix:///var/run/docker.sock"
        assert sd["role"] in {"tasks", "nodes"}


# --------------------------------------------------------------------------- rules semantics


def test_alert_rules_have_severity_summary_and_existing_dashboard() -> None:
    uids = {d["uid"] for d in load_dashboards().values()}
    seen = 0
    for doc in load_rule_files().values():
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                seen += 1
                assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
                assert rule["annotations"]["summary"]
                dash = rule["annotations"]["dashboard"]
                assert dash.removeprefix("/d/") in uids, (rule["alert"], dash)
    assert seen >= 20


def test_slo_burn_alerts_are_multi_window() -> None:
    alerts = {
        r["alert"]: r
        for doc in load_rule_files().values()
        for g in doc["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    fast = alerts["GatewayErrorBudgetFastBurn"]["expr"]
    assert "rate5m" in fast
    assert "rate1h" in fast
    assert "14.4" in fast
    slow = alerts["GatewayErrorBudgetSlowBurn"]["expr"]
    assert "rate30m" in slow
    assert "rate6h" in slow


def test_group_names_are_unique() -> None:
    names = [g["name"] for doc in load_rule_files().values() for g in doc["groups"]]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------- Grafana provisioning

DATASOURCES = yaml.safe_load((PROVISIONING_DIR / "datasources" / "datasources.yml").read_text())
DS = {d["uid"]: d for d in DATASOURCES["datasources"]}


def test_datasources_provisioning_matches_schema() -> None:
    validator = _schema(REPO / "grafana" / "schema" / "provisioning-datasources.schema.json")
    assert not _errors(validator, DATASOURCES)
    bad = json.loads(json.dumps(DATASOURCES))
    bad["datasources"][0]["jsonDta"] = {}
    bad["datasources"][1]["jsonData"]["derivedFields"][0]["matcherType"] = "lable"
    assert len(_errors(validator, bad)) >= 2


def test_datasource_uids_and_types() -> None:
    assert DS["victoriametrics"]["type"] == "prometheus"
    assert DS["victoriametrics"]["isDefault"] is True
    assert DS["loki"]["type"] == "loki"
    assert DS["tempo"]["type"] == "tempo"
    assert sum(1 for d in DATASOURCES["datasources"] if d.get("isDefault")) == 1


def test_loki_derived_field_links_trace_id_to_tempo() -> None:
    fields = DS["loki"]["jsonData"]["derivedFields"]
    by_label = [f for f in fields if f["matcherType"] == "label"]
    assert by_label
    assert by_label[0]["matcherRegex"] == "trace_id"
    for f in fields:
        assert f["datasourceUid"] == "tempo"
        # "$$" is the escape for "$" in provisioning files (env expansion).
        assert f["url"] == "$${__value.raw}"


def test_tempo_traces_to_logs_by_trace_and_correlation_id_and_service_graph() -> None:
    jd = DS["tempo"]["jsonData"]
    t2l = jd["tracesToLogsV2"]
    assert t2l["datasourceUid"] == "loki"
    assert t2l["customQuery"] is True
    assert "trace_id=" in t2l["query"]
    assert "$${__trace.traceId}" in t2l["query"]
    assert "correlation_id=" in t2l["query"]
    assert jd["serviceMap"]["datasourceUid"] == "victoriametrics"
    assert jd["nodeGraph"]["enabled"] is True
    for q in jd["tracesToMetrics"]["queries"]:
        assert "traces_spanmetrics_calls_total" in q["query"]
    # no single "$" that Grafana would try to expand as an env variable
    text = (PROVISIONING_DIR / "datasources" / "datasources.yml").read_text()
    assert not re.search(r"(?<!\$)\$\{", text)


def test_dashboard_provider_matches_schema_and_loads_generated_dashboards() -> None:
    doc = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "cloudlysis.yml").read_text())
    validator = _schema(REPO / "grafana" / "schema" / "provisioning-dashboards.schema.json")
    assert not _errors(validator, doc)
    (provider,) = doc["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].endswith("/cloudlysis")
    assert len(list(DASHBOARDS_DIR.glob("*.json"))) == 12


def test_grafana_ini_enables_explore_and_home_dashboard_exists() -> None:
    ini = configparser.ConfigParser()
    ini.read_string((REPO / "grafana" / "grafana.ini").read_text())
    assert ini.getboolean("explore", "enabled") is True
    home = ini.get("dashboards", "default_home_dashboard_path")
    assert (DASHBOARDS_DIR / Path(home).name).exists()


# --------------------------------------------------------------------------- Loki


LOKI = yaml.safe_load((REPO / "loki" / "loki-config.yml").read_text())


def test_loki_config_matches_schema() -> None:
    validator = _schema(REPO / "loki" / "schema" / "loki-config.schema.json")
    assert not _errors(validator, LOKI)
    bad = json.loads(json.dumps(LOKI))
    bad["limits_config"]["retention_periode"] = "1d"
    bad["schema_config"]["configs"][0]["schema"] = "v14"
    assert len(_errors(validator, bad)) >= 2


def test_loki_retention_limits_and_structured_metadata() -> None:
    limits = LOKI["limits_config"]
    assert LOKI["compactor"]["retention_enabled"] is True
    assert LOKI["compactor"]["delete_request_store"]  # required by Loki 3 with retention
    assert limits["retention_period"] == "744h"
    assert limits["allow_structured_metadata"] is True
    # structured metadata needs the TSDB index and schema v13
    (schema,) = LOKI["schema_config"]["configs"]
    assert schema["store"] == "tsdb"
    assert schema["schema"] == "v13"
    for key in ("ingestion_rate_mb", "max_global_streams_per_user", "max_query_series"):
        assert limits[key] > 0


# --------------------------------------------------------------------------- Tempo


TEMPO = yaml.safe_load((REPO / "tempo" / "tempo.yml").read_text())


def test_tempo_config_matches_schema() -> None:
    validator = _schema(REPO / "tempo" / "schema" / "tempo-config.schema.json")
    assert not _errors(validator, TEMPO)
    bad = json.loads(json.dumps(TEMPO))
    del bad["distributor"]["receivers"]["otlp"]["protocols"]["http"]
    bad["overrides"]["defaults"]["metrics_generator"]["processors"] = ["service-graph"]
    assert len(_errors(validator, bad)) >= 2


def test_tempo_otlp_receivers_and_metrics_generator() -> None:
    protocols = TEMPO["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    generator = TEMPO["metrics_generator"]
    (rw,) = generator["storage"]["remote_write"]
    assert rw["url"] == "http://victoriametrics:8428/api/v1/write"
    processors = TEMPO["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert set(processors) == {"service-graphs", "span-metrics"}
    for proc in generator["processor"].values():
        assert not ID_LABELS & {d.replace(".", "_") for d in proc.get("dimensions", [])}


# --------------------------------------------------------------------------- Alloy


ALLOY_PATH = REPO / "loki" / "alloy" / "config.alloy"


def _alloy_blocks() -> list[alloy_syntax.Block]:
    return alloy_syntax.parse(ALLOY_PATH.read_text())


def test_alloy_config_parses_and_matches_schema() -> None:
    blocks = _alloy_blocks()
    validator = _schema(REPO / "loki" / "schema" / "alloy-config.schema.json")
    assert not _errors(validator, {"blocks": [b.to_json() for b in blocks]})


def test_alloy_parser_and_schema_reject_mistakes() -> None:
    with pytest.raises(alloy_syntax.AlloySyntaxError):
        alloy_syntax.parse('loki.write "x" {\n endpoint {\n url = "http://l"\n }\n')
    with pytest.raises(alloy_syntax.AlloySyntaxError):
        alloy_syntax.parse('loki.write "x" {\n a = [1, 2\n}\n')
    text = ALLOY_PATH.read_text().replace("stage.structured_metadata", "stage.structured_metdata")
    validator = _schema(REPO / "loki" / "schema" / "alloy-config.schema.json")
    blocks = alloy_syntax.parse(text)
    assert _errors(validator, {"blocks": [b.to_json() for b in blocks]})


def test_alloy_component_references_resolve() -> None:
    blocks = _alloy_blocks()
    defined = {(b.name, b.label) for b in blocks}
    exports = {
        "discovery.docker": {"targets"},
        "discovery.relabel": {"output", "rules"},
        "loki.process": {"receiver"},
        "loki.write": {"receiver"},
    }
    refs = 0
    for block in blocks:
        for expr in block.attrs.values():
            for name, label, export in alloy_syntax.references(expr):
                refs += 1
                assert (name, label) in defined, f"{name}.{label} is not defined"
                assert export in exports[name], f"{name} has no export {export}"
    assert refs >= 4


def test_alloy_pipeline_uses_swarm_discovery_and_keeps_ids_out_of_labels() -> None:
    blocks = {b.name: b for b in _alloy_blocks()}
    docker = blocks["discovery.docker"]
    assert docker.blocks[0].attrs["values"] == '[ "com.docker.swarm.service.name" ]'
    source = blocks["loki.source.docker"]
    assert source.attrs["targets"] == "discovery.relabel.swarm_tasks.output"
    stages = {s.name: s for s in blocks["loki.process"].blocks}
    assert next(iter(stages)) == "stage.json"
    json_fields = stages["stage.json"].attrs["expressions"]
    metadata = stages["stage.structured_metadata"].attrs["values"]
    labels = stages["stage.labels"].attrs["values"]
    for ident in ("request_id", "correlation_id", "trace_id"):
        assert re.search(rf"\b{ident}\b", json_fields), ident
        assert re.search(rf"\b{ident}\b", metadata), ident
        assert not re.search(rf"\b{ident}\b", labels), f"{ident} must not be a label"
    assert re.findall(r"\b(\w+)\s*=", labels) == ["level"]
    relabel_targets = {
        rule.attrs["target_label"].strip('"')
        for rule in blocks["discovery.relabel"].blocks
        if "target_label" in rule.attrs
    }
    assert relabel_targets == {"service", "stack", "node"}
    assert blocks["loki.write"].blocks[0].attrs["url"] == '"http://loki:3100/loki/api/v1/push"'


# --------------------------------------------------------------------------- install script


def test_install_script_is_idempotent_when_tools_exist() -> None:
    script = REPO / "scripts" / "install-obs-tools.sh"
    assert run(["bash", "-n", str(script)]).returncode == 0
    for tool in ("victoria-metrics", "vmagent", "vmalert", "promtool"):
        require_binary(tool)
    proc = run(["bash", str(script)], timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "already installed" in proc.stdout
    assert shutil.which("apt-get") is None or "apt-get" not in proc.stdout
