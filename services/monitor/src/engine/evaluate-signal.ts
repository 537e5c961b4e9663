import { parseDuration } from '@latchkey/config'
import type { Point, RangeSeries, ScrapeHistory, SeriesId } from '../scrape/scrape-history.ts'
import type { Selector, Signal } from '../rules/rule-schema.ts'

/** One value of a signal: the labels kept by its `by`, and the number compared with the threshold. */
export interface SignalValue {
  labels: Record<string, string>
  value: number
}

export function selects(selector: Selector, name = selector.metric): (series: SeriesId) => boolean {
  const exact = Object.entries(selector.match ?? {})
  const regex = Object.entries(selector.matchRegex ?? {}).map(([label, re]) => [label, new RegExp(`^(?:${re})$`)] as const)
  return (sample) =>
    sample.name === name &&
    exact.every(([label, value]) => (sample.labels[label] ?? '') === value) &&
    regex.every(([label, re]) => re.test(sample.labels[label] ?? ''))
}

const groupOf = (labels: Record<string, string>, by: readonly string[] = []) => {
  const kept: Record<string, string> = {}
  for (const label of by) if (labels[label] !== undefined) kept[label] = labels[label]
  return { key: JSON.stringify(by.map((label) => labels[label] ?? '')), labels: kept }
}

/** Sums values per group of the `by` labels (PromQL's `sum by (...)`). */
function sumBy<T extends { labels: Record<string, string> }>(items: T[], value: (item: T) => number | undefined, by?: readonly string[]) {
  const groups = new Map<string, SignalValue>()
  for (const item of items) {
    const v = value(item)
    if (v === undefined) continue
    const { key, labels } = groupOf(item.labels, by)
    const group = groups.get(key)
    if (group) group.value += v
    else groups.set(key, { labels, value: v })
  }
  return groups
}

/** A counter's growth over its points, counting a drop as a restart from 0 (PromQL's `increase`, unextrapolated). */
export function increaseOf(points: Point[]): number | undefined {
  if (points.length < 2) return undefined
  let total = 0
  for (let i = 1; i < points.length; i++) {
    const step = points[i]!.value - points[i - 1]!.value
    total += step >= 0 ? step : points[i]!.value
  }
  return total
}

const rateOf = (series: RangeSeries): number | undefined => {
  const increase = increaseOf(series.points)
  const seconds = (series.points.at(-1)!.at - series.points[0]!.at) / 1000
  return increase === undefined || seconds <= 0 ? undefined : increase / seconds
}

/** Prometheus' `histogram_quantile` over cumulative buckets `[le, count]`: linear within the bucket holding the rank. */
export function bucketQuantile(quantile: number, buckets: [number, number][]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0])
  const total = sorted.at(-1)?.[1]
  if (total === undefined || total === 0 || sorted.at(-1)![0] !== Infinity) return undefined
  const rank = quantile * total
  const index = sorted.findIndex(([, count]) => count >= rank)
  const [upper, count] = sorted[index]!
  if (upper === Infinity) return sorted.length > 1 ? sorted[sorted.length - 2]![0] : undefined
  const [lower, below] = index === 0 ? [0, 0] : sorted[index - 1]!
  return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below)
}

/** A signal's values now, from the scrapes the monitor holds (see rule-schema.ts for each kind's PromQL). */
export function evaluateSignal(signal: Signal, history: ScrapeHistory, now: number): SignalValue[] {
  switch (signal.kind) {
    case 'gauge': {
      const samples = history.latest(selects(signal))
      const groups = new Map<string, { labels: Record<string, string>; values: number[] }>()
      for (const sample of samples) {
        const { key, labels } = groupOf(sample.labels, signal.by)
        const group = groups.get(key) ?? { labels, values: [] }
        group.values.push(sample.value)
        groups.set(key, group)
      }
      const aggregate = { max: Math.max, min: Math.min, sum: (...v: number[]) => v.reduce((a, b) => a + b, 0), avg: (...v: number[]) => v.reduce((a, b) => a + b, 0) / v.length }[signal.aggregate]
      return [...groups.values()].map(({ labels, values }) => ({ labels, value: aggregate(...values) * (signal.scale ?? 1) }))
    }
    case 'increase':
    case 'delta': {
      const series = history.range(selects(signal), parseDuration(signal.window), now)
      const change = signal.kind === 'increase' ? (s: RangeSeries) => increaseOf(s.points) : (s: RangeSeries) => (s.points.length < 2 ? undefined : s.points.at(-1)!.value - s.points[0]!.value)
      return [...sumBy(series, change, signal.by).values()]
    }
    case 'rate': {
      const rates = sumBy(history.range(selects(signal), parseDuration(signal.window), now), rateOf, signal.by)
      return [...rates.values()].map(({ labels, value }) => ({ labels, value: value * (signal.scale ?? 1) }))
    }
    case 'ratio': {
      const windowMs = parseDuration(signal.window)
      const numerators = sumBy(history.range(selects(signal.numerator), windowMs, now), rateOf, signal.by)
      const denominators = sumBy(history.range(selects(signal.denominator), windowMs, now), rateOf, signal.by)
      const out: SignalValue[] = []
      for (const [key, { labels, value }] of denominators) {
        // No traffic, no ratio (PromQL's 0/0 is NaN and alerts on nothing); no numerator series is a 0.
        if (value > 0) out.push({ labels, value: ((numerators.get(key)?.value ?? 0) / value) * (signal.scale ?? 1) })
      }
      return out
    }
    case 'quantile': {
      const series = history.range(selects(signal, `${signal.metric}_bucket`), parseDuration(signal.window), now)
      const groups = new Map<string, { labels: Record<string, string>; buckets: Map<number, number> }>()
      for (const s of series) {
        const increase = increaseOf(s.points)
        if (increase === undefined) continue
        const { key, labels } = groupOf(s.labels, signal.by)
        const group = groups.get(key) ?? { labels, buckets: new Map<number, number>() }
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)
        group.buckets.set(le, (group.buckets.get(le) ?? 0) + increase)
        groups.set(key, group)
      }
      const out: SignalValue[] = []
      for (const { labels, buckets } of groups.values()) {
        const value = bucketQuantile(signal.quantile, [...buckets])
        if (value !== undefined) out.push({ labels, value })
      }
      return out
    }
  }
}
