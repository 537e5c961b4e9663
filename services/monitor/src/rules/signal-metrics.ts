import type { Signal } from './rule-schema.ts'

/** The exposition names a signal reads (a quantile reads the histogram's `_bucket` series). */
export function metricsOf(signal: Signal): string[] {
  switch (signal.kind) {
    case 'ratio':
      return [signal.numerator.metric, signal.denominator.metric]
    case 'quantile':
      return [`${signal.metric}_bucket`]
    default:
      return [signal.metric]
  }
}
