import type { Sample } from './exposition.ts'

/** One round's reading of one target; a failed scrape holds no samples (its `up` is 0). */
export interface Scrape {
  at: number
  ok: boolean
  samples: Sample[]
}

export interface Point {
  at: number
  value: number
}

/** A series as selectors see it: its name and labels, `instance` included. */
export interface SeriesId {
  name: string
  labels: Record<string, string>
}

/** A series over a window, with the `instance` label of the target it came from. */
export interface RangeSeries extends SeriesId {
  points: Point[]
}

/** One series of one target: its labels once, its points as two parallel arrays (a few bytes a point). */
interface StoredSeries extends SeriesId {
  times: number[]
  values: number[]
}

interface TargetHistory {
  /** Times of every scrape, and of the successful ones. */
  scrapes: number[]
  ok: number[]
  series: Map<string, StoredSeries>
}

export const seriesKey = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`

const dropBefore = (times: number[], cutoff: number): number => {
  let drop = 0
  while (drop < times.length && times[drop]! < cutoff) drop++
  return drop
}

/**
 * The recent scrapes of every target, as long as the longest rule window needs them, stored per
 * series (labels once, then only times and values). Rules read the newest value of each series
 * (gauges) or its points over a window (counters, histograms), as PromQL's instant and range
 * selectors do.
 */
export class ScrapeHistory {
  private readonly byTarget = new Map<string, TargetHistory>()

  constructor(private readonly retentionMs: number) {}

  add(instance: string, scrape: Scrape): void {
    let target = this.byTarget.get(instance)
    if (!target) {
      target = { scrapes: [], ok: [], series: new Map() }
      this.byTarget.set(instance, target)
    }
    target.scrapes.push(scrape.at)
    if (scrape.ok) target.ok.push(scrape.at)
    const record = (key: string, name: string, labels: Record<string, string>, value: number) => {
      let series = target.series.get(key)
      if (!series) {
        series = { name, labels: { ...labels, instance }, times: [], values: [] }
        target.series.set(key, series)
      }
      series.times.push(scrape.at)
      series.values.push(value)
    }
    for (const sample of scrape.samples) record(sample.key ?? seriesKey(sample.name, sample.labels), sample.name, sample.labels, sample.value)
    // Not a key an exposition can write, so a target's own `up` series cannot collide with it.
    record('\0up', 'up', {}, scrape.ok ? 1 : 0)
    this.trim(target, scrape.at - this.retentionMs)
  }

  /** Forgets targets no longer watched (a pod gone from Kubernetes' endpoints). */
  retain(instances: Set<string>): void {
    for (const instance of this.byTarget.keys()) if (!instances.has(instance)) this.byTarget.delete(instance)
  }

  /** The newest value of every series `accepts`, from each target's newest scrape (a failed one has only `up`). */
  latest(accepts: (series: SeriesId) => boolean): Sample[] {
    const out: Sample[] = []
    for (const target of this.byTarget.values()) {
      const newest = target.scrapes.at(-1)
      for (const series of target.series.values()) {
        if (series.times.at(-1) === newest && accepts(series)) out.push({ name: series.name, labels: series.labels, value: series.values.at(-1)! })
      }
    }
    return out
  }

  /**
   * Every series `accepts` over the last `windowMs`. A series that first appears after a
   * successful scrape of its target inside the window starts from 0 there: a counter created
   * by its first event (the first dead task) counts that event, which PromQL's `increase` misses.
   */
  range(accepts: (series: SeriesId) => boolean, windowMs: number, now: number): RangeSeries[] {
    const out: RangeSeries[] = []
    const start = now - windowMs
    for (const target of this.byTarget.values()) {
      for (const series of target.series.values()) {
        if (!accepts(series)) continue
        const from = dropBefore(series.times, start)
        if (from === series.times.length) continue
        const points: Point[] = []
        const first = series.times[from]!
        const before = target.ok.findLast((at) => at >= start && at < first)
        if (before !== undefined) points.push({ at: before, value: 0 })
        for (let i = from; i < series.times.length; i++) points.push({ at: series.times[i]!, value: series.values[i]! })
        out.push({ name: series.name, labels: series.labels, points })
      }
    }
    return out
  }

  private trim(target: TargetHistory, cutoff: number): void {
    target.scrapes.splice(0, dropBefore(target.scrapes, cutoff))
    target.ok.splice(0, dropBefore(target.ok, cutoff))
    for (const [key, series] of target.series) {
      const drop = dropBefore(series.times, cutoff)
      if (drop === series.times.length) target.series.delete(key)
      else if (drop > 0) {
        series.times.splice(0, drop)
        series.values.splice(0, drop)
      }
    }
  }
}
