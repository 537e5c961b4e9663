export { createMetrics, type Metrics } from './metrics.ts'
export { observeProcess } from './process-metrics.ts'
export type { Meter, Counter, Histogram, Attributes } from '@opentelemetry/api'
