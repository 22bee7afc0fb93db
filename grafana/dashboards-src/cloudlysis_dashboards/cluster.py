"""cl-cluster: Docker Swarm state, containers per service (cAdvisor) and scrape health."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, st, ts, var_query, version_var


def dashboard() -> Any:
    d = base(
        "cl-cluster",
        "Cloudlysis / Cluster & orchestrator",
        "Docker Swarm state (engine metrics), containers per service (cAdvisor) and scrape health.",
        ["cluster", "swarm"],
    )
    d.with_variable(service_var("container_last_seen"))
    d.with_variable(version_var('up{job=~"platform|control-api"}'))
    d.with_variable(var_query("node", "Node", "label_values(node_load1, node)"))
    return add(
        d,
        [
            st("Swarm services", prom(q.SWARM_SERVICES)),
            st("Raft leader present", prom(q.SWARM_LEADER), desc="1 = a leader"),
            st("Nodes not ready", prom(q.SWARM_NODES_NOT_READY)),
            st(
                "Targets down",
                prom(q.TARGETS_DOWN),
                desc="All scrape targets (platform, exporters, NATS, engines).",
            ),
            st("Health-check failures (1h)", prom(q.ENGINE_HEALTH_CHECK_FAILURES_1H)),
            st("Running platform tasks", prom(q.RUNNING_PLATFORM_TASKS)),
            ts("Swarm nodes by state", prom(q.SWARM_NODES_BY_STATE, "{{state}}"), w=8),
            ts("Swarm tasks by state", prom(q.SWARM_TASKS_BY_STATE, "{{state}}"), w=8),
            ts("Containers by state", prom(q.CONTAINERS_BY_STATE, "{{state}}"), w=8),
            ts("Containers per service", prom(q.CONTAINERS_PER_SERVICE, "{{service}}")),
            ts("Scrape targets up by job", prom(q.TARGETS_UP_BY_JOB, "{{job}}")),
            ts(
                "Container CPU by service",
                prom(q.CONTAINER_CPU_BY_SERVICE, "{{service}}"),
                unit="short",
            ),
            ts(
                "Container memory by service",
                prom(q.CONTAINER_MEMORY_BY_SERVICE, "{{service}}"),
                unit="bytes",
            ),
            ts(
                "Node network throughput",
                prom(q.NODE_NETWORK_RX, "rx {{node}}"),
                prom(q.NODE_NETWORK_TX, "tx {{node}}"),
                unit="Bps",
            ),
            ts("Node load per core", prom(q.NODE_LOAD_PER_CORE, "{{node}}")),
        ],
    )
