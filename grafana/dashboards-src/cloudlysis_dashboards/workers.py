"""cl-workers: Runner job throughput, failures, duration, queues and worker saturation."""

from __future__ import annotations

from typing import Any

from cloudlysis_control.metrics import queries as q

from .panels import add, base, prom, service_var, tenant_var, ts, var_query, version_var


def dashboard() -> Any:
    d = base(
        "cl-workers",
        "Cloudlysis / Workers (Runner)",
        "Runner job throughput, failures, duration, queues and worker saturation.",
        ["runner"],
    )
    d.with_variable(service_var("runner_jobs_total"))
    d.with_variable(version_var("runner_jobs_total"))
    d.with_variable(tenant_var("runner_tenant_jobs_inflight"))
    d.with_variable(var_query("job_type", "Job type", "label_values(runner_jobs_total, job_type)"))
    return add(
        d,
        [
            ts(
                "Jobs by type and outcome",
                prom(q.RUNNER_JOBS, "{{job_type}} {{outcome}}"),
                unit="ops",
            ),
            ts(
                "Failure ratio by type",
                prom(q.RUNNER_FAILURE_RATIO, "{{job_type}}"),
                unit="percentunit",
            ),
            ts(
                "Job duration p50 / p95",
                *[
                    prom(
                        q.runner_job_duration(quantile),
                        f"p{int(quantile * 100)} {{{{job_type}}}}",
                    )
                    for quantile in (0.5, 0.95)
                ],
                unit="s",
            ),
            ts("Queue depth", prom(q.RUNNER_QUEUE_DEPTH, "{{queue}}")),
            ts(
                "Worker utilisation",
                prom(q.RUNNER_UTILISATION, "{{version}}"),
                unit="percentunit",
                w=8,
            ),
            ts(
                "Retries by type",
                prom(q.RUNNER_RETRIES, "{{job_type}}"),
                unit="ops",
                w=8,
            ),
            ts(
                f"Running jobs (top {q.TENANT_TOPK} tenants)",
                prom(q.RUNNER_RUNNING_TOP_TENANTS, "{{tenant}}"),
                w=8,
            ),
            ts(
                "Runner consumers pending",
                prom(q.RUNNER_CONSUMERS_PENDING, "{{consumer}}"),
                w=24,
                h=6,
            ),
        ],
    )
