// Public surface of the metrics feature: charts of the API's named metrics queries.
export { MetricChart, MetricsUnavailableNotice, type MetricChartProps } from "./components/metric-chart";
export { InstanceSparkline } from "./components/sparkline";
export { formatValue, unixSeconds, type ChartBand } from "./model";
export { isMetricsUnavailable, metricsKeys, metricsQueries, METRICS_QUERIES, type MetricsParams, type MetricsQueryName, type ServiceKind } from "./queries";
