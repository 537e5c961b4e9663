// Prometheus histograms read from a scrape (see prometheus.ts): cumulative buckets, sum and count,
// and the difference between two readings (what happened in between; with one observation in
// between, its sum is that observation).
import type { Samples } from './prometheus.ts'

export interface HistogramReading {
  count: number
  /** Sum of the observations, in the histogram's unit (seconds here). */
  sum: number
  /** Cumulative counts by upper bound (`le`), ascending; the last bound is Infinity. */
  buckets: { le: number; count: number }[]
}

const matches = (labels: Record<string, string>, wanted: Record<string, string>) => Object.entries(wanted).every(([k, v]) => labels[k] === v)

/** The histogram `name` (without `_bucket`/`_sum`/`_count`), summed over the series matching `labels`. */
export function readHistogram(samples: Samples, name: string, labels: Record<string, string> = {}): HistogramReading | undefined {
  let count = 0
  let sum = 0
  let found = false
  const byLe = new Map<number, number>()
  for (const s of samples) {
    if (!matches(s.labels, labels)) continue
    if (s.name === `${name}_count`) {
      count += s.value
      found = true
    } else if (s.name === `${name}_sum`) {
      sum += s.value
    } else if (s.name === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
      byLe.set(le, (byLe.get(le) ?? 0) + s.value)
    }
  }
  if (!found) return undefined
  return { count, sum, buckets: [...byLe].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c })) }
}

export function histogramDelta(after: HistogramReading | undefined, before: HistogramReading | undefined): HistogramReading | undefined {
  if (!after) return undefined
  if (!before) return after
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]))
  return {
    count: after.count - before.count,
    sum: after.sum - before.sum,
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
  }
}
