import type { Signal } from '../rules/rule-schema.ts'

/** A figure the dashboard shows and the monitor records for trends (hourly roll-ups). */
export interface DashboardSeries {
  id: string
  title: string
  unit: 'percent' | 'bytes' | 'seconds' | 'count' | 'per_second'
  signal: Signal
}

/**
 * What the dashboard shows: the same signal kinds as the alert rules (so each figure has its
 * PromQL twin in the Grafana dashboard), over short windows for a live picture.
 */
export const dashboardSeries: DashboardSeries[] = [
  {
    id: 'cache_l1_hit_ratio',
    title: 'L1 cache hit ratio by type',
    unit: 'percent',
    signal: { kind: 'ratio', numerator: { metric: 'latchkey_cache_requests_total', match: { cache_level: 'l1', cache_result: 'hit' } }, denominator: { metric: 'latchkey_cache_requests_total', match: { cache_level: 'l1' } }, window: '1m', by: ['cache_type'], scale: 100 },
  },
  {
    id: 'cache_l2_hit_ratio',
    title: 'L2 (Redis) cache hit ratio by type',
    unit: 'percent',
    signal: { kind: 'ratio', numerator: { metric: 'latchkey_cache_requests_total', match: { cache_level: 'l2', cache_result: 'hit' } }, denominator: { metric: 'latchkey_cache_requests_total', match: { cache_level: 'l2' } }, window: '1m', by: ['cache_type'], scale: 100 },
  },
  { id: 'cache_l1_bytes', title: 'L1 cache memory by type', unit: 'bytes', signal: { kind: 'gauge', metric: 'latchkey_cache_size_bytes', aggregate: 'sum', by: ['cache_type'] } },
  { id: 'cache_l1_entries', title: 'L1 cache entries by type', unit: 'count', signal: { kind: 'gauge', metric: 'latchkey_cache_entries', aggregate: 'sum', by: ['cache_type'] } },
  { id: 'invalidation_delay_p99', title: 'Invalidation delay, p99', unit: 'seconds', signal: { kind: 'quantile', metric: 'latchkey_cache_invalidation_delay_seconds', quantile: 0.99, window: '1m' } },
  // Every replica reads the same consumers' depth: the highest report per lane is the depth.
  { id: 'queue_depth', title: 'Tasks waiting by queue and lane', unit: 'count', signal: { kind: 'gauge', metric: 'latchkey_tasks_queue_depth', aggregate: 'max', by: ['queue', 'priority'] } },
  { id: 'task_throughput', title: 'Task outcomes per second', unit: 'per_second', signal: { kind: 'rate', metric: 'latchkey_tasks_outcomes_total', window: '1m', by: ['outcome'] } },
  { id: 'task_duration_p95', title: 'Task duration by queue, p95', unit: 'seconds', signal: { kind: 'quantile', metric: 'latchkey_tasks_duration_seconds', quantile: 0.95, window: '5m', by: ['queue'] } },
  { id: 'schedule_fire_delay_p95', title: 'Schedule fire delay, p95', unit: 'seconds', signal: { kind: 'quantile', metric: 'latchkey_scheduler_fire_delay_seconds', quantile: 0.95, window: '15m', by: ['schedule'] } },
  { id: 'schedule_missed_ticks', title: 'Missed schedule ticks, last 15 minutes', unit: 'count', signal: { kind: 'increase', metric: 'latchkey_scheduler_ticks_missed_total', window: '15m', by: ['schedule'] } },
  { id: 'http_request_rate', title: 'HTTP requests per second', unit: 'per_second', signal: { kind: 'rate', metric: 'http_server_request_duration_seconds_count', window: '1m' } },
  { id: 'http_p99', title: 'HTTP request duration, p99', unit: 'seconds', signal: { kind: 'quantile', metric: 'http_server_request_duration_seconds', quantile: 0.99, window: '1m' } },
  { id: 'cpu', title: 'Host CPU', unit: 'percent', signal: { kind: 'gauge', metric: 'system_cpu_utilization_ratio', aggregate: 'max', by: ['instance'], scale: 100 } },
  { id: 'memory', title: 'Host memory', unit: 'percent', signal: { kind: 'gauge', metric: 'system_memory_utilization_ratio', aggregate: 'max', by: ['instance'], scale: 100 } },
  { id: 'disk', title: 'Disk in use', unit: 'percent', signal: { kind: 'gauge', metric: 'system_filesystem_utilization_ratio', aggregate: 'max', by: ['instance', 'system_filesystem_mountpoint'], scale: 100 } },
  { id: 'process_memory', title: 'Process resident memory', unit: 'bytes', signal: { kind: 'gauge', metric: 'process_resident_memory_bytes', aggregate: 'max', by: ['instance'] } },
  { id: 'event_loop_lag', title: 'Event-loop delay, p99', unit: 'seconds', signal: { kind: 'gauge', metric: 'nodejs_eventloop_delay_p99_seconds', aggregate: 'max', by: ['instance'] } },
  { id: 'targets_up', title: 'Watched processes', unit: 'count', signal: { kind: 'gauge', metric: 'up', aggregate: 'min', by: ['instance'] } },
]
