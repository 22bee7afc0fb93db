"""Observability provisioning assets as read-only registry entries: the provisioned files of
grafana/, vmagent/, loki/, tempo/ with their sha256; sources and schemas are left out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cloudlysis_control.config.assets import AssetCatalog
from cloudlysis_control.config.history import ConfigHistory
from cloudlysis_control.config.model import ConfigId
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.config.store import ConfigStore
from cloudlysis_control.config.world import WorldView
from cloudlysis_control.core.errors import ConfigReadOnly, NotFound
from cloudlysis_control.fleet.registry import FleetRegistry
from cloudlysis_control.fleet.snapshot import FleetSnapshotService
from cloudlysis_control.placement.service import PlacementService
from tests.support.fakes import FakeProber, MemoryEventLog, MemoryKeyValue


def repo(tmp_path: Path) -> Path:
    files = {
        "grafana/dashboards/cl-logs.json": b'{"title": "logs"}',
        "grafana/schema/dashboard.schema.json": b"{}",
        "grafana/dashboards-src/gen.py": b"print()",
        "vmagent/scrape.yml": b"scrape_configs: []\n",
        "tempo/tempo.yml": b"server: {}\n",
        "elsewhere/x.yml": b"no",
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


def service(root: Path | None) -> ConfigService:
    registry = FleetRegistry()
    placement = PlacementService("nats")
    store = ConfigStore(MemoryKeyValue(), MemoryKeyValue(), placement)
    world = WorldView(
        store, placement, registry, FleetSnapshotService(registry, FakeProber()), None
    )  # type: ignore[arg-type]
    return ConfigService(store, ConfigHistory(MemoryEventLog()), world, AssetCatalog(root))


def test_only_provisioned_files_are_listed_with_their_sha256(tmp_path: Path) -> None:
    assets = AssetCatalog(repo(tmp_path)).list()
    assert [a.name for a in assets] == [
        "grafana.dashboards.cl-logs.json",
        "vmagent.scrape.yml",
        "tempo.tempo.yml",
    ]
    assert assets[0].sha256 == hashlib.sha256(b'{"title": "logs"}').hexdigest()
    assert AssetCatalog(None).list() == []


async def test_assets_are_read_only_entries_of_the_registry(tmp_path: Path) -> None:
    s = service(repo(tmp_path))
    ids = [c for c in await s.ids() if c.domain == "observability"]
    assert [c.name for c in ids] == [
        "grafana.dashboards.cl-logs.json",
        "tempo.tempo.yml",
        "vmagent.scrape.yml",
    ]
    _, cid = s.config_id("observability", "vmagent.scrape.yml", "platform")
    detail = await s.detail(cid)
    assert detail.read_only and detail.source == "file" and detail.path == "vmagent/scrape.yml"
    assert detail.value["sha256"] == hashlib.sha256(b"scrape_configs: []\n").hexdigest()
    with pytest.raises(ConfigReadOnly):
        await s.validate(cid, "{}", "json")
    with pytest.raises(NotFound):
        s.config_id("observability", "grafana.schema.dashboard.schema.json", "platform")
    with pytest.raises(NotFound):
        s.config_id("routing", "gateway", "aggregate")
    assert ConfigId("flags", "control", "platform") in await s.ids()
