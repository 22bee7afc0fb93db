"""Wires the configured placement source (CONTROL_PLACEMENT_SOURCE) to a PlacementService."""

from __future__ import annotations

from cloudlysis_control.adapters.nats.state import BucketSpec, NatsKeyValue, NatsState
from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.settings import PlacementSettings
from cloudlysis_control.placement.schemas import PlacementInvalid
from cloudlysis_control.placement.service import PlacementService
from cloudlysis_control.placement.sources import FilePlacementSource, KvPlacementSource

BUCKET_PLACEMENT = BucketSpec(
    "control_placement", history=16, description="Placement maps and routing config, key per map"
)
_log = get_logger("control.placement")


class PlacementRuntime:
    def __init__(self, settings: PlacementSettings, nats: NatsState) -> None:
        self.settings = settings
        self.nats = nats
        self.service = PlacementService("file" if settings.source == "file" else "nats")
        self.source: KvPlacementSource | FilePlacementSource | None = None

    async def start(self) -> None:
        s = self.settings
        if s.source == "file":
            self.source = FilePlacementSource(s.file, self.service, s.file_poll_s)
            await self.source.start()
            return
        await self.nats.provision([BUCKET_PLACEMENT], [])
        source = KvPlacementSource(NatsKeyValue(self.nats, BUCKET_PLACEMENT), self.service)
        if s.seed_file is not None:
            try:
                created = await source.seed(s.seed_file.read_bytes())
            except PlacementInvalid as e:
                raise SettingsError(f"CONTROL_PLACEMENT_SEED_FILE is invalid: {e}") from e
            if created:
                _log.info("placement seeded", keys=created, seed_file=str(s.seed_file))
        self.service.set_live(self.nats.connected)
        self.source = source
        await source.start()

    def on_nats_connection(self, up: bool) -> None:
        if isinstance(self.source, KvPlacementSource):
            self.source.on_connection_change(up)

    async def stop(self) -> None:
        if self.source is not None:
            await self.source.stop()
