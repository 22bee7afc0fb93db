"""What a simulated platform instance reads on reload: the revision of its kind's placement map
(`control_placement`) and, for Runners, of every runner activation config (`control_config`),
as real services would load them. One NATS connection per host process."""

from __future__ import annotations

from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, NatsKeyValue, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from cloudlysis_control.placement.schemas import MAP_KEYS, PlacementKind

ACTIVATION_PREFIX = "runner.activation/activation/"


class ConfigReader:
    def __init__(self, nats_url: str) -> None:
        self.nats = NatsState(url=nats_url, connect_timeout_s=5.0, op_timeout_s=5.0)
        self.placement: NatsKeyValue | None = None
        self.config: NatsKeyValue | None = None

    async def start(self) -> None:
        await self.nats.connect()
        await self.nats.provision([BUCKET_PLACEMENT, BUCKET_CONFIG], [])
        self.placement = NatsKeyValue(self.nats, BUCKET_PLACEMENT)
        self.config = NatsKeyValue(self.nats, BUCKET_CONFIG)

    async def stop(self) -> None:
        await self.nats.close()

    async def revisions(self, kind: PlacementKind) -> dict[str, str | None]:
        """config → revision now: the kind's placement; runners: `activation:<scope>` too."""
        assert self.placement is not None
        assert self.config is not None
        entry = await self.placement.get(MAP_KEYS[kind])
        out: dict[str, str | None] = {kind: str(entry.revision) if entry else None}
        if kind == "runner":
            for key in sorted(await self.config.keys()):
                if key.startswith(ACTIVATION_PREFIX):
                    found = await self.config.get(key)
                    scope = key.removeprefix(ACTIVATION_PREFIX).replace("=", ":")
                    out[f"activation:{scope}"] = str(found.revision) if found else None
        return out
