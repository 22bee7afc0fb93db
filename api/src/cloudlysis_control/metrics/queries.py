"""Every query of the Grafana dashboards and of the console's charts, defined once: PromQL,
plus the few LogQL and TraceQL ones.

Longer than the ~400-line limit on purpose: this is the one catalogue of query strings (no
logic) that the dashboard modules (grafana/dashboards-src) import and that the console's named
queries (`metrics.catalogue`) run, so the two never disagree. Splitting it would scatter that
single place to look a query up.

Plain strings only: this module imports nothing (no grafana-foundation-sdk), so anything can
import it. Template variables ($service, $version, $tenant, ...) and Grafana's built-ins
($__rate_interval, $__auto) stay in the strings: Grafana substitutes them, and
api/tests/observability substitutes them before running every PromQL expression against a
VictoriaMetrics loaded with fixtures for docs/observability/metrics-contract.yaml.

Sections follow the dashboards; a query used by several dashboards is defined in the first.
api/tests/observability/test_obs_dashboards.py fails on a panel query that is not defined
here, or on a string defined twice.
Rules: tenant breakdowns are wrapped in topk(TENANT_TOPK, ...) and the tenant label is bounded
by contract; no query groups by request_id, correlation_id or trace_id.
"""

from __future__ import annotations

RI = "$__rate_interval"
# The service/version template variables (All = ".*", so regex matchers).
SV = 'service=~"$service", version=~"$version"'
# Platform services whose HTTP metrics follow <service>_http_requests_total etc.
HTTP_NAMES = "(gateway|aggregate|projection|runner|control)"
TENANT_TOPK = 10
_K = TENANT_TOPK

# --------------------------------------------------------------------------- cl-ops-overview

PLATFORM_TARGETS_DOWN = 'sum(1 - up{job=~"platform|control-api", service=~"$service"})'
REQUEST_RATE = f"sum(service:http_requests:rate5m{{{SV}}})"
ERROR_RATIO = (
    f'sum(service:http_requests:rate5m{{{SV}, status=~"5.."}})'
    f" / sum(service:http_requests:rate5m{{{SV}}})"
)
GATEWAY_SLO_BURN_1H = "max(slo:gateway_availability:burnrate1h)"
CONTROL_NATS_CONNECTED = "min(control_nats_connected)"
CONTROL_AUDIT_FAILURES_1H = 'sum(increase(control_audit_events_total{outcome="error"}[1h]))'
REQUEST_RATE_BY_SERVICE = f"sum by (service) (service:http_requests:rate5m{{{SV}}})"
ERROR_RATIO_BY_SERVICE_VERSION = f"service:http_errors:ratio_rate5m{{{SV}}}"
P99_BY_SERVICE_VERSION = f"service:http_request_duration_seconds:p99_5m{{{SV}}}"
P50_BY_SERVICE_VERSION = f"service:http_request_duration_seconds:p50_5m{{{SV}}}"
RUNNING_BUILDS = (
    'max by (service, version, git_sha) ({__name__=~".+_build_info", '
    'service=~"$service", version=~"$version"})'
)
CONTROL_REQUESTS_BY_ROUTE = f"sum by (route, status) (rate(control_http_requests_total[{RI}]))"
CONTROL_P95_BY_ROUTE = (
    "histogram_quantile(0.95, sum by (route, le) "
    f"(rate(control_http_request_duration_seconds_bucket[{RI}])))"
)
CONTROL_JOBS = f"sum by (kind, outcome) (rate(control_jobs_total[{RI}]))"
CONTROL_UPSTREAM_CALLS = f"sum by (upstream, outcome) (rate(control_upstream_requests_total[{RI}]))"
CONTROL_UPSTREAM_P95 = (
    "histogram_quantile(0.95, sum by (upstream, le) "
    f"(rate(control_upstream_request_duration_seconds_bucket[{RI}])))"
)
CONTROL_AUDIT_EVENTS = f"sum by (outcome) (rate(control_audit_events_total[{RI}]))"
# Every API replica computes the same drift: max, not sum, across replicas.
CONTROL_DRIFT_ITEMS = "max by (category, severity) (control_drift_items)"
EVENTBUS_PENDING_BY_STREAM = (
    'sum by (stream) (eventbus_consumer_pending_messages{service=~"$service", version=~"$version"})'
)
NODE_CPU_BUSY = (
    'sum by (node) (rate(node_cpu_seconds_total{mode!="idle"}'
    f"[{RI}])) / sum by (node) (rate(node_cpu_seconds_total[{RI}]))"
)

# --------------------------------------------------------------------------- cl-http-detail

_ROUTE = f'{SV}, route=~"$route"'
GATEWAY_REQUESTS_BY_ROUTE = f"sum by (route) (rate(gateway_http_requests_total{{{_ROUTE}}}[{RI}]))"
GATEWAY_RESPONSES_BY_STATUS = (
    f"sum by (status) (rate(gateway_http_requests_total{{{_ROUTE}}}[{RI}]))"
)
GATEWAY_ERROR_RATIO_BY_ROUTE = (
    "sum by (route) (rate(gateway_http_requests_total"
    f'{{{_ROUTE}, status=~"5.."}}[{RI}])) / sum by (route) '
    f"(rate(gateway_http_requests_total{{{_ROUTE}}}[{RI}]))"
)


def gateway_latency_by_route(quantile: float) -> str:
    return (
        f"histogram_quantile({quantile}, sum by (route, le) "
        f"(rate(gateway_http_request_duration_seconds_bucket{{{_ROUTE}}}[{RI}])))"
    )


GATEWAY_ROUTES_1H = (
    f"sum by (route, method) (increase(gateway_http_requests_total{{{_ROUTE}}}[1h]))"
)
GATEWAY_IN_FLIGHT = f"sum by (version) (gateway_http_requests_in_flight{{{SV}}})"
GATEWAY_UPSTREAM_CALLS = (
    f"sum by (upstream, outcome) (rate(gateway_upstream_requests_total{{{SV}}}[{RI}]))"
)
GATEWAY_UPSTREAM_P99 = (
    "histogram_quantile(0.99, sum by (upstream, le) "
    f"(rate(gateway_upstream_request_duration_seconds_bucket{{{SV}}}[{RI}])))"
)
GATEWAY_AUTH_FAILURES = f"sum by (reason) (rate(gateway_auth_failures_total{{{SV}}}[{RI}]))"
GATEWAY_RATE_LIMITED_TOP_TENANTS = (
    f"topk({_K}, sum by (tenant) "
    f'(rate(gateway_rate_limited_total{{{SV}, tenant=~"$tenant"}}[{RI}])))'
)

# --------------------------------------------------------------------------- cl-logs (LogQL)

# request_id, correlation_id and trace_id are Loki structured metadata, not labels.
LOG_LINES = (
    '{service=~"$service", level=~"$level"} | correlation_id=~"$correlation_id" |= "$search"'
)
LOG_VOLUME_BY_LEVEL = f"sum by (level) (count_over_time({LOG_LINES} [$__auto]))"
LOG_ERRORS_BY_SERVICE = (
    'sum by (service) (count_over_time({service=~"$service", level=~"error|critical"} [$__auto]))'
)
# PromQL, for the same time axis as the logs.
ERRORS_5XX_BY_SERVICE = f'sum by (service) (service:http_requests:rate5m{{{SV}, status=~"5.."}})'

# --------------------------------------------------------------------------- cl-traces

_SPAN = 'service=~"$service"'
SPAN_RATE_BY_SERVICE = f"sum by (service) (rate(traces_spanmetrics_calls_total{{{_SPAN}}}[{RI}]))"
SPAN_ERROR_RATIO_BY_SERVICE = (
    "sum by (service) (rate(traces_spanmetrics_calls_total"
    f'{{{_SPAN}, status_code="STATUS_CODE_ERROR"}}[{RI}])) / sum by (service) '
    f"(rate(traces_spanmetrics_calls_total{{{_SPAN}}}[{RI}]))"
)
SERVER_SPAN_P95_BY_NAME = (
    "histogram_quantile(0.95, sum by (span_name, le) "
    "(rate(traces_spanmetrics_latency_bucket"
    f'{{{_SPAN}, span_kind="SPAN_KIND_SERVER"}}[{RI}])))'
)
SERVICE_GRAPH_REQUESTS = f"sum by (client, server) (rate(traces_service_graph_request_total[{RI}]))"
SERVICE_GRAPH_FAILED = (
    f"sum by (client, server) (rate(traces_service_graph_request_failed_total[{RI}]))"
)
SERVICE_GRAPH_SERVER_P95 = (
    "histogram_quantile(0.95, sum by (client, server, le) "
    f"(rate(traces_service_graph_request_server_seconds_bucket[{RI}])))"
)
# TraceQL (Tempo search).
TRACES_WITH_ERRORS = '{resource.service.name=~"$service" && status=error}'
TRACES_SLOWER_THAN_1S = '{resource.service.name=~"$service" && duration > 1s}'

# --------------------------------------------------------------------------- cl-eventbus

_STREAM = f'{SV}, stream=~"$stream"'
EVENTBUS_PUBLISH_RATE = (
    f"sum by (stream, outcome) (rate(eventbus_publish_total{{{_STREAM}}}[{RI}]))"
)
EVENTBUS_PUBLISH_P99 = (
    "histogram_quantile(0.99, sum by (stream, le) "
    f"(rate(eventbus_publish_duration_seconds_bucket{{{_STREAM}}}[{RI}])))"
)
EVENTBUS_CONSUME_RATE = (
    f"sum by (consumer, outcome) (rate(eventbus_consume_total{{{_STREAM}}}[{RI}]))"
)
EVENTBUS_PENDING_BY_CONSUMER = (
    f"sum by (consumer) (eventbus_consumer_pending_messages{{{_STREAM}}})"
)
EVENTBUS_ACK_PENDING_BY_CONSUMER = (
    f"sum by (consumer) (eventbus_consumer_ack_pending_messages{{{_STREAM}}})"
)
EVENTBUS_REDELIVERIES = f"sum by (consumer) (rate(eventbus_redeliveries_total{{{_STREAM}}}[{RI}]))"
JETSTREAM_STREAM_MESSAGES = (
    'sum by (stream_name) (jetstream_stream_total_messages{stream_name=~"$stream"})'
)
JETSTREAM_STREAM_BYTES = (
    'sum by (stream_name) (jetstream_stream_total_bytes{stream_name=~"$stream"})'
)
JETSTREAM_CONSUMER_PENDING = (
    'sum by (stream_name, consumer_name) (jetstream_consumer_num_pending{stream_name=~"$stream"})'
)
JETSTREAM_CONSUMER_ACK_PENDING = (
    "sum by (stream_name, consumer_name) "
    '(jetstream_consumer_num_ack_pending{stream_name=~"$stream"})'
)
JETSTREAM_CONSUMER_REDELIVERED = (
    "sum by (stream_name, consumer_name) "
    '(jetstream_consumer_num_redelivered{stream_name=~"$stream"})'
)
NATS_MESSAGES_IN = f"sum by (node) (rate(gnatsd_varz_in_msgs[{RI}]))"
NATS_MESSAGES_OUT = f"sum by (node) (rate(gnatsd_varz_out_msgs[{RI}]))"
NATS_CONNECTIONS = "sum by (node) (gnatsd_varz_connections)"
NATS_SLOW_CONSUMERS_10M = "sum by (node) (increase(gnatsd_varz_slow_consumers[10m]))"
NATS_MEMORY = "sum by (node) (gnatsd_varz_mem)"

# --------------------------------------------------------------------------- cl-workers

_JOB_TYPE = f'{SV}, job_type=~"$job_type"'
RUNNER_JOBS = f"sum by (job_type, outcome) (rate(runner_jobs_total{{{_JOB_TYPE}}}[{RI}]))"
RUNNER_FAILURE_RATIO = (
    "sum by (job_type) (rate(runner_jobs_total"
    f'{{{_JOB_TYPE}, outcome!="ok"}}[{RI}])) / sum by (job_type) '
    f"(rate(runner_jobs_total{{{_JOB_TYPE}}}[{RI}]))"
)


def runner_job_duration(quantile: float) -> str:
    return (
        f"histogram_quantile({quantile}, sum by (job_type, le) "
        f"(rate(runner_job_duration_seconds_bucket{{{_JOB_TYPE}}}[{RI}])))"
    )


RUNNER_QUEUE_DEPTH = f"sum by (queue) (runner_queue_depth{{{SV}}})"
RUNNER_UTILISATION = (
    f"sum by (version) (runner_workers_busy{{{SV}}}) / "
    f"sum by (version) (runner_workers_capacity{{{SV}}})"
)
RUNNER_RETRIES = f"sum by (job_type) (rate(runner_job_retries_total{{{_JOB_TYPE}}}[{RI}]))"
RUNNER_RUNNING_TOP_TENANTS = (
    f'topk({_K}, sum by (tenant) (runner_tenant_jobs_inflight{{{SV}, tenant=~"$tenant"}}))'
)
RUNNER_CONSUMERS_PENDING = (
    'sum by (consumer) (eventbus_consumer_pending_messages{service="runner", version=~"$version"})'
)

# --------------------------------------------------------------------------- cl-storage

_DB = f'{SV}, db=~"$db"'
MDBX_SIZE = f"sum by (service, db) (mdbx_db_size_bytes{{{_DB}}})"
MDBX_MAX_SIZE = f"sum by (service, db) (mdbx_db_max_size_bytes{{{_DB}}})"
MDBX_MAP_USED = (
    f"max by (service, db) (mdbx_db_size_bytes{{{_DB}}} / mdbx_db_max_size_bytes{{{_DB}}})"
)
MDBX_TXN_P99_BY_KIND = (
    "histogram_quantile(0.99, sum by (service, kind, le) "
    f"(rate(mdbx_txn_duration_seconds_bucket{{{_DB}}}[{RI}])))"
)
MDBX_WRITE_COMMITS = f"sum by (service, db) (rate(mdbx_write_txn_commits_total{{{_DB}}}[{RI}]))"
MDBX_READERS_USED = (
    f"max by (service, db) (mdbx_readers_active{{{_DB}}} / mdbx_readers_max{{{_DB}}})"
)
MDBX_FREELIST_PAGES = f"max by (service, db) (mdbx_freelist_pages{{{_DB}}})"
FILESYSTEM_FREE = (
    "min by (node, mountpoint) "
    '(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}'
    ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"})'
)
DISK_BUSY = f"max by (node, device) (rate(node_disk_io_time_seconds_total[{RI}]))"
DISK_READ_BYTES = f"sum by (node) (rate(node_disk_read_bytes_total[{RI}]))"
DISK_WRITTEN_BYTES = f"sum by (node) (rate(node_disk_written_bytes_total[{RI}]))"
INODES_FREE = (
    "min by (node, mountpoint) (node_filesystem_files_free"
    '{fstype!~"tmpfs|overlay"} / node_filesystem_files{fstype!~"tmpfs|overlay"})'
)

# --------------------------------------------------------------------------- cl-cluster

SWARM_SERVICES = "max(swarm_manager_services_total)"
SWARM_LEADER = "max(swarm_manager_leader)"
SWARM_NODES_NOT_READY = 'sum(max by (state) (swarm_manager_nodes{state!="ready"}))'
TARGETS_DOWN = "sum(1 - up)"
ENGINE_HEALTH_CHECK_FAILURES_1H = "sum(increase(engine_daemon_health_checks_failed_total[1h]))"
RUNNING_PLATFORM_TASKS = 'count(up{job=~"platform|control-api", version=~"$version"})'
SWARM_NODES_BY_STATE = "max by (state) (swarm_manager_nodes)"
SWARM_TASKS_BY_STATE = "max by (state) (swarm_manager_tasks_total)"
CONTAINERS_BY_STATE = 'sum by (state) (engine_daemon_container_states_containers{node=~"$node"})'
CONTAINERS_PER_SERVICE = (
    'count by (service) (container_last_seen{service=~"$service", node=~"$node"})'
)
TARGETS_UP_BY_JOB = "sum by (job) (up)"
CONTAINER_CPU_BY_SERVICE = (
    "sum by (service) (rate(container_cpu_usage_seconds_total"
    f'{{service=~"$service", node=~"$node"}}[{RI}]))'
)
CONTAINER_MEMORY_BY_SERVICE = (
    'sum by (service) (container_memory_working_set_bytes{service=~"$service", node=~"$node"})'
)
NODE_NETWORK_RX = f'sum by (node) (rate(node_network_receive_bytes_total{{node=~"$node"}}[{RI}]))'
NODE_NETWORK_TX = f'sum by (node) (rate(node_network_transmit_bytes_total{{node=~"$node"}}[{RI}]))'
NODE_LOAD_PER_CORE = (
    'max by (node) (node_load1{node=~"$node"}) / count by (node) '
    '(node_cpu_seconds_total{mode="idle", node=~"$node"})'
)

# --------------------------------------------------------------------------- cl-noisy-neighbor

# Also on this dashboard: GATEWAY_RATE_LIMITED_TOP_TENANTS, RUNNER_RUNNING_TOP_TENANTS.
_TENANT = f'{SV}, tenant=~"$tenant"'
TENANT_REQUESTS = (
    f"topk({_K}, sum by (tenant) (rate(gateway_tenant_requests_total{{{_TENANT}}}[{RI}])))"
)
TENANT_ERROR_RATIO = (
    f"topk({_K}, sum by (tenant) (rate(gateway_tenant_requests_total"
    f'{{{_TENANT}, status_class="5xx"}}[{RI}])) / sum by (tenant) '
    f"(rate(gateway_tenant_requests_total{{{_TENANT}}}[{RI}])))"
)
TOP_TENANT_SHARE = (
    'max(tenant:gateway_requests:rate5m{tenant!="__other__"}) / sum(tenant:gateway_requests:rate5m)'
)
TENANT_GATEWAY_IN_FLIGHT = (
    f"topk({_K}, sum by (tenant) (gateway_tenant_inflight_requests{{{_TENANT}}}))"
)
TENANT_EVENTS_APPENDED = (
    f"topk({_K}, sum by (tenant) (rate(aggregate_events_appended_total{{{_TENANT}}}[{RI}])))"
)
TENANT_AGGREGATE_IN_FLIGHT = (
    f"topk({_K}, sum by (tenant) (aggregate_tenant_inflight_commands{{{_TENANT}}}))"
)
TENANT_PROJECTION_LAG = f"topk({_K}, max by (tenant) (projection_lag_events{{{_TENANT}}}))"
TENANT_REQUESTS_1H = (
    f"topk({_K}, sum by (tenant) (increase(gateway_tenant_requests_total{{{_TENANT}}}[1h])))"
)

# --------------------------------------------------------------------------- cl-api-regression

# One service (single-value variable), all or some of its versions.
_VSEL = 'service="$service", version=~"$version"'
_HTTP_REQUESTS = f'{{__name__=~"{HTTP_NAMES}_http_requests_total", {_VSEL}'
_HTTP_BUCKETS = f'{{__name__=~"{HTTP_NAMES}_http_request_duration_seconds_bucket", {_VSEL}'
BUILDS_OF_SERVICE = f'max by (service, version, git_sha) ({{__name__=~".+_build_info", {_VSEL}}})'
TASKS_BY_VERSION = f'count by (version, image_tag) (up{{job=~"platform|control-api", {_VSEL}}})'
REQUEST_RATE_BY_VERSION = f"sum by (version, image_tag) (rate({_HTTP_REQUESTS}}}[{RI}]))"
REQUEST_RATE_BY_INSTANCE = f"sum by (instance) (rate({_HTTP_REQUESTS}}}[{RI}]))"
ERROR_RATIO_BY_VERSION = (
    f'sum by (version, image_tag) (rate({_HTTP_REQUESTS}, status=~"5.."}}[{RI}])) '
    f"/ sum by (version, image_tag) (rate({_HTTP_REQUESTS}}}[{RI}]))"
)


def latency_by_version(quantile: float) -> str:
    return f"histogram_quantile({quantile}, sum by (version, le) (rate({_HTTP_BUCKETS}}}[{RI}])))"


# The console's (and the deploy verification playbooks') p99 from the raw histograms: it needs no
# recording rule, so it answers for a window of seconds right after a deploy.
P99_BY_VERSION = latency_by_version(0.99)


ROUTE_P95_BY_VERSION_30M = (
    f"histogram_quantile(0.95, sum by (version, route, le) (rate({_HTTP_BUCKETS}}}[30m])))"
)
ERROR_RATIO_OF_SERVICE_BY_VERSION = f"service:http_errors:ratio_rate5m{{{_VSEL}}}"
P99_OF_SERVICE_BY_VERSION = f"service:http_request_duration_seconds:p99_5m{{{_VSEL}}}"

# --------------------------------------------------------------------------- cl-bottlenecks

MDBX_WRITE_TXN_P99 = (
    "histogram_quantile(0.99, sum by (service, le) "
    f'(rate(mdbx_txn_duration_seconds_bucket{{{SV}, kind="write"}}[{RI}])))'
)
EVENTBUS_PUBLISH_P99_BY_SERVICE = (
    "histogram_quantile(0.99, sum by (service, le) "
    f"(rate(eventbus_publish_duration_seconds_bucket{{{SV}}}[{RI}])))"
)
AGGREGATE_COMMAND_P99 = (
    "histogram_quantile(0.99, sum by (command, le) "
    f"(rate(aggregate_command_duration_seconds_bucket{{{SV}}}[{RI}])))"
)
AGGREGATE_CONFLICTS = (
    f"sum by (command) (rate(aggregate_concurrency_conflicts_total{{{SV}}}[{RI}]))"
)
CONSUMER_BACKLOG_GROWTH_PER_MIN = (
    f"sum by (stream, consumer) (deriv(eventbus_consumer_pending_messages{{{SV}}}[15m])) * 60"
)
PROJECTION_LAG = f"max by (projection) (projection_lag_seconds{{{SV}}})"
PROJECTION_APPLY_P99 = (
    "histogram_quantile(0.99, sum by (projection, le) "
    f"(rate(projection_processing_duration_seconds_bucket{{{SV}}}[{RI}])))"
)
EVENTBUS_PUBLISH_ERRORS = (
    f'sum by (service, stream) (rate(eventbus_publish_total{{{SV}, outcome!="ok"}}[{RI}]))'
)
AGGREGATE_COMMANDS = f"sum by (command, outcome) (rate(aggregate_commands_total{{{SV}}}[{RI}]))"
PROJECTION_THROUGHPUT = (
    f"sum by (projection, outcome) (rate(projection_events_processed_total{{{SV}}}[{RI}]))"
)
DISK_BUSY_BY_NODE = f"max by (node) (rate(node_disk_io_time_seconds_total[{RI}]))"
MDBX_KILO_COMMITS_BY_NODE = (
    f"sum by (node) (rate(mdbx_write_txn_commits_total{{{SV}}}[{RI}])) / 1000"
)

# --------------------------------------------------------------------------- cl-infra-exhaustion

_NODE = 'node=~"$node"'
_FS = f'fstype!~"tmpfs|overlay", {_NODE}'
_SVC_NODE = f'service=~"$service", {_NODE}'
DISK_HOURS_UNTIL_FULL = (
    f"min by (node, mountpoint) (node_filesystem_avail_bytes{{{_FS}}} / "
    f"clamp_min(-deriv(node_filesystem_avail_bytes{{{_FS}}}[6h]), 1e-9)) / 3600"
)
DISK_USED = (
    f"max by (node, mountpoint) (1 - node_filesystem_avail_bytes{{{_FS}}} / "
    f"node_filesystem_size_bytes{{{_FS}}})"
)
MEMORY_USED = (
    f"max by (node) (1 - node_memory_MemAvailable_bytes{{{_NODE}}} / "
    f"node_memory_MemTotal_bytes{{{_NODE}}})"
)
NODE_CPU_BUSY_OF_NODE = (
    f'sum by (node) (rate(node_cpu_seconds_total{{mode!="idle", {_NODE}}}[{RI}])) / '
    f"sum by (node) (rate(node_cpu_seconds_total{{{_NODE}}}[{RI}]))"
)
FILE_DESCRIPTORS_USED = (
    f"max by (node) (node_filefd_allocated{{{_NODE}}} / node_filefd_maximum{{{_NODE}}})"
)
CONTAINER_MEMORY_VS_LIMIT = (
    f"max by (service) (container_memory_working_set_bytes{{{_SVC_NODE}}} / "
    f"(container_spec_memory_limit_bytes{{{_SVC_NODE}}} > 0))"
)
CONTAINER_CPU_THROTTLING = (
    "sum by (service) (rate(container_cpu_cfs_throttled_periods_total"
    f"{{{_SVC_NODE}}}[{RI}])) / sum by (service) "
    f"(rate(container_cpu_cfs_periods_total{{{_SVC_NODE}}}[{RI}]))"
)
OOM_KILLS_1H = f"sum by (service) (increase(container_oom_events_total{{{_SVC_NODE}}}[1h]))"
MDBX_MAP_USED_ALL_DBS = (
    f"max by (service, db) (mdbx_db_size_bytes{{{SV}}} / mdbx_db_max_size_bytes{{{SV}}})"
)
MDBX_READERS_USED_ALL_DBS = (
    f"max by (service, db) (mdbx_readers_active{{{SV}}} / mdbx_readers_max{{{SV}}})"
)
RUNNER_WORKER_SLOTS_USED = (
    f"sum(runner_workers_busy{{{SV}}}) / sum(runner_workers_capacity{{{SV}}})"
)
