"""The fleet snapshot's figures from a metrics store instead of every instance's /metrics.

The store already scrapes every instance; asking it for build info and the selected metrics of
all of them is a handful of instant queries per snapshot, where probing is one /metrics body per
instance to fetch and parse (the CPU a 1,000-instance snapshot spent). The same table of
selected metrics as the probe's parser (adapters/probe.py), so both ways give the same figures.
Series are matched to instances by the store's `instance` label (`host:port`, what a scrape of
the instance's address records).
"""

from __future__ import annotations

import asyncio

from cloudlysis_control.adapters.metrics import PrometheusApi
from cloudlysis_control.adapters.probe import SELECTED_METRICS
from cloudlysis_control.fleet.ports import InstanceFigures

BUILD_INFO = '{__name__=~".+_build_info"}'


def _queries() -> dict[str, str]:
    """One instant query per selected figure, aggregated per instance as the parser does."""
    suffixes: dict[str, tuple[list[str], str]] = {}
    for suffix, key, how in SELECTED_METRICS:
        names, _ = suffixes.setdefault(key, ([], how))
        names.append(suffix)
    out = {}
    for key, (names, how) in suffixes.items():
        pattern = "|".join(
            (f".+{s}(_total)?" if s.startswith("_") else f"{s}(_total)?") for s in names
        )
        out[key] = f'{how} by (instance) ({{__name__=~"{pattern}"}})'
    return out


QUERIES = _queries()


class StoreFleetMetrics:
    def __init__(self, store: PrometheusApi) -> None:
        self.store = store

    async def figures(self) -> dict[str, InstanceFigures]:
        keys = list(QUERIES)
        build, *selected = await asyncio.gather(
            self.store.query(BUILD_INFO), *(self.store.query(QUERIES[k]) for k in keys)
        )
        out: dict[str, InstanceFigures] = {}
        for labels, _value in build:
            instance = labels.get("instance")
            if instance and instance not in out:
                out[instance] = InstanceFigures(
                    version=labels.get("version"),
                    git_sha=labels.get("git_sha"),
                    build_info_metric=labels.get("__name__"),
                )
        for key, answer in zip(keys, selected, strict=True):
            for labels, value in answer:
                instance = labels.get("instance")
                if instance in out and value is not None:
                    out[instance].selected[key] = value
        return out
