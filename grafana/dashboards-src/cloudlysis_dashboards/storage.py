"""cl-storage: libmdbx environments of the Aggregate and Projection, and the disks under them."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, ts, var_query, version_var


def dashboard() -> Any:
    d = base(
        "cl-storage",
        "Cloudlysis / Storage (libmdbx + node disk)",
        "libmdbx environments of the Aggregate and Projection, "
        "and the node filesystems under them.",
        ["storage"],
    )
    d.with_variable(service_var("mdbx_db_size_bytes"))
    d.with_variable(version_var("mdbx_db_size_bytes"))
    d.with_variable(var_query("db", "Database", "label_values(mdbx_db_size_bytes, db)"))
    return add(
        d,
        [
            ts(
                "Datafile size vs map size limit",
                prom(q.MDBX_SIZE, "{{service}}/{{db}}"),
                prom(q.MDBX_MAX_SIZE, "limit {{service}}/{{db}}"),
                unit="bytes",
            ),
            ts("Map size used", prom(q.MDBX_MAP_USED, "{{service}}/{{db}}"), unit="percentunit"),
            ts(
                "Transaction p99 by kind",
                prom(q.MDBX_TXN_P99_BY_KIND, "{{service}} {{kind}}"),
                unit="s",
            ),
            ts("Write commits", prom(q.MDBX_WRITE_COMMITS, "{{service}}/{{db}}"), unit="ops"),
            ts(
                "Reader slots used",
                prom(q.MDBX_READERS_USED, "{{service}}/{{db}}"),
                unit="percentunit",
                w=8,
            ),
            ts("Freelist pages", prom(q.MDBX_FREELIST_PAGES, "{{service}}/{{db}}"), w=8),
            ts(
                "Filesystem free",
                prom(q.FILESYSTEM_FREE, "{{node}} {{mountpoint}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Disk busy (io time)",
                prom(q.DISK_BUSY, "{{node}} {{device}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Disk throughput",
                prom(q.DISK_READ_BYTES, "read {{node}}"),
                prom(q.DISK_WRITTEN_BYTES, "write {{node}}"),
                unit="Bps",
                w=8,
            ),
            ts(
                "Inodes free",
                prom(q.INODES_FREE, "{{node}} {{mountpoint}}"),
                unit="percentunit",
                w=8,
            ),
        ],
    )
