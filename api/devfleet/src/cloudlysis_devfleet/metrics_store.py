"""The demo's metrics history: VictoriaMetrics scraping the API and every devfleet instance, and
vmalert evaluating the recording rules the dashboards and the console's named queries read.

The scrape config is vmagent/scrape.yml's own `platform` and `control-api` jobs, relabeling
untouched; only their discovery changes: each devfleet instance describes itself as a Swarm task
(`GET /_devfleet/sd`, Prometheus HTTP SD with the `__meta_dockerswarm_*` labels), so `service`,
`version`, `image_tag`, `git_sha`, `stack` and `node` come out as in production and follow a
deploy within one discovery interval; the API, whose version never changes in the demo, is a
static target with the same labels.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from cloudlysis_devfleet.world import SD_PATH, sd_target_group

SCRAPE_INTERVAL = "5s"
SD_INTERVAL = "5s"
JOBS = ("platform", "control-api")
BINARIES = ("victoria-metrics", "vmalert")


def missing_binaries() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None]


def _without_discovery(job: dict[str, Any]) -> dict[str, Any]:
    job = copy.deepcopy(job)
    for key in [k for k in job if k.endswith("_sd_configs")]:
        del job[key]
    return job


def scrape_config(
    committed: dict[str, Any],
    instance_urls: Sequence[str],
    api: tuple[str, int],
    api_build: tuple[str, str],
    interval: str = SCRAPE_INTERVAL,
    exporter_urls: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The demo's -promscrape.config from the committed one (vmagent/scrape.yml, parsed): its
    `platform` job over the instances, `control-api` over the API, and the jobs named in
    `exporter_urls` (`node-exporter`, `nats`) over the exporter at that URL."""
    jobs = {j["job_name"]: j for j in committed["scrape_configs"]}
    sd_urls = {"platform": list(instance_urls)}
    sd_urls |= {job: [url] for job, url in (exporter_urls or {}).items()}
    out = []
    for job, urls in sd_urls.items():
        config = _without_discovery(jobs[job])
        config["http_sd_configs"] = [{"url": f"{u.rstrip('/')}{SD_PATH}"} for u in urls]
        out.append(config)
    control = _without_discovery(jobs["control-api"])
    host, port = api
    control["static_configs"] = sd_target_group(
        host, port, "control-api", *api_build, stack="control"
    )
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": interval},
        "scrape_configs": [*out, control],
    }


def write_scrape_config(
    repo_root: Path,
    path: Path,
    instance_urls: Sequence[str],
    api: tuple[str, int],
    api_build: tuple[str, str],
    interval: str = SCRAPE_INTERVAL,
    exporter_urls: Mapping[str, str] | None = None,
) -> Path:
    committed = yaml.safe_load((repo_root / "vmagent" / "scrape.yml").read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = scrape_config(committed, instance_urls, api, api_build, interval, exporter_urls)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def victoria_metrics_argv(
    data_dir: Path, port: int, config: Path, sd_interval: str = SD_INTERVAL
) -> list[str]:
    return [
        "victoria-metrics",
        f"-storageDataPath={data_dir}",
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-promscrape.config={config}",
        f"-promscrape.httpSDCheckInterval={sd_interval}",
        "-retentionPeriod=7d",
        "-search.latencyOffset=0s",
        "-loggerLevel=ERROR",
    ]


def vmalert_argv(repo_root: Path, vm_url: str, port: int) -> list[str]:
    return [
        "vmalert",
        f"-rule={repo_root / 'vmagent' / 'rules' / 'recording.yml'}",
        f"-datasource.url={vm_url}",
        f"-remoteWrite.url={vm_url}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-loggerLevel=ERROR",
    ]
