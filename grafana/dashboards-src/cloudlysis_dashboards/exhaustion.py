"""cl-infra-exhaustion: resources that run out (disk, memory, CPU, fds, limits, mdbx, workers)."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, ts, var_query, version_var


def dashboard() -> Any:
    d = base(
        "cl-infra-exhaustion",
        "Cloudlysis / Infrastructure exhaustion",
        "Resources that run out: disk (and its forecast), memory, CPU, file descriptors, inodes, "
        "container limits, libmdbx map size and reader slots, worker slots.",
        ["infrastructure"],
    )
    d.with_variable(service_var("container_last_seen"))
    d.with_variable(version_var('up{job=~"platform"}'))
    d.with_variable(var_query("node", "Node", "label_values(node_load1, node)"))
    return add(
        d,
        [
            ts(
                "Disk: hours until full (linear forecast, 6h)",
                prom(q.DISK_HOURS_UNTIL_FULL, "{{node}} {{mountpoint}}"),
                unit="h",
                desc="Very large values mean the disk is not filling up.",
            ),
            ts("Disk used", prom(q.DISK_USED, "{{node}} {{mountpoint}}"), unit="percentunit"),
            ts("Memory used", prom(q.MEMORY_USED, "{{node}}"), unit="percentunit", w=8),
            ts("CPU busy", prom(q.NODE_CPU_BUSY_OF_NODE, "{{node}}"), unit="percentunit", w=8),
            ts(
                "File descriptors used",
                prom(q.FILE_DESCRIPTORS_USED, "{{node}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Container memory vs limit",
                prom(q.CONTAINER_MEMORY_VS_LIMIT, "{{service}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Container CPU throttling",
                prom(q.CONTAINER_CPU_THROTTLING, "{{service}}"),
                unit="percentunit",
                w=8,
            ),
            ts("OOM kills (1h)", prom(q.OOM_KILLS_1H, "{{service}}"), w=8),
            ts(
                "libmdbx map size used",
                prom(q.MDBX_MAP_USED_ALL_DBS, "{{service}}/{{db}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "libmdbx reader slots used",
                prom(q.MDBX_READERS_USED_ALL_DBS, "{{service}}/{{db}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Runner worker slots used",
                prom(q.RUNNER_WORKER_SLOTS_USED, "runner"),
                unit="percentunit",
                w=8,
            ),
        ],
    )
