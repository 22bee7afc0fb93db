"""The observability provisioning assets (grafana/, vmagent/, loki/, tempo/ of the repository)
as read-only registry entries with their sha256, so drift can compare them. Their sources and
schemas (`schema/`, `dashboards-src/`) are not provisioned and are left out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("grafana", "vmagent", "loki", "tempo")
SKIPPED = frozenset({"schema", "dashboards-src", "__pycache__"})
MAX_ASSETS = 2000


@dataclass(frozen=True)
class Asset:
    name: str  # the path with "/" as "." ("grafana.dashboards.cl-logs.json")
    path: str  # relative to the repository root
    sha256: str
    size: int


def asset_name(path: str) -> str:
    return path.replace("/", ".").lower()


class AssetCatalog:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    def list(self) -> list[Asset]:
        if self.root is None:
            return []
        found: list[Asset] = []
        for top in ROOTS:
            base = self.root / top
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(self.root)
                if (
                    not path.is_file()
                    or SKIPPED.intersection(rel.parts)
                    or path.name.startswith(".")
                ):
                    continue
                data = path.read_bytes()
                found.append(
                    Asset(
                        asset_name(rel.as_posix()),
                        rel.as_posix(),
                        hashlib.sha256(data).hexdigest(),
                        len(data),
                    )
                )
                if len(found) >= MAX_ASSETS:
                    return found
        return found

    def get(self, name: str) -> Asset | None:
        return next((a for a in self.list() if a.name == name), None)
