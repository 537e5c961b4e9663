export { createMetrics, type Metrics } from './metrics.ts'
export { observeProcess } from './process-metrics.ts'
export type { KeyedHistogram } from './keyed-histogram.ts'
export type { Meter, Counter, Histogram, Attributes } from '@opentelemetry/api'
