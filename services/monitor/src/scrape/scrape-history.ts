import type { Sample } from './exposition.ts'

/** One round's reading of one target; a failed scrape holds only its `up 0`. */
export interface Scrape {
  at: number
  ok: boolean
  samples: Sample[]
}

export interface Point {
  at: number
  value: number
}

/** A series over a window, with the `instance` label of the target it came from. */
export interface RangeSeries {
  name: string
  labels: Record<string, string>
  points: Point[]
}

export const seriesKey = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`

/**
 * The recent scrapes of every target, as long as the longest rule window needs them. Rules read
 * the newest value of each series (gauges) or its points over a window (counters, histograms),
 * as PromQL's instant and range selectors do.
 */
export class ScrapeHistory {
  private readonly byTarget = new Map<string, Scrape[]>()

  constructor(private readonly retentionMs: number) {}

  add(instance: string, scrape: Scrape): void {
    const scrapes = this.byTarget.get(instance) ?? []
    for (const sample of scrape.samples) sample.labels.instance = instance
    scrape.samples.push({ name: 'up', labels: { instance }, value: scrape.ok ? 1 : 0 })
    scrapes.push(scrape)
    while (scrapes.length > 0 && scrapes[0]!.at < scrape.at - this.retentionMs) scrapes.shift()
    this.byTarget.set(instance, scrapes)
  }

  /** Forgets targets no longer watched (a pod gone from Kubernetes' endpoints). */
  retain(instances: Set<string>): void {
    for (const instance of this.byTarget.keys()) if (!instances.has(instance)) this.byTarget.delete(instance)
  }

  instances(): string[] {
    return [...this.byTarget.keys()]
  }

  /** The newest sample of every series whose metric `accepts`, from each target's newest scrape (failed ones included, for `up`). */
  latest(accepts: (sample: Sample) => boolean): Sample[] {
    const out: Sample[] = []
    for (const scrapes of this.byTarget.values()) {
      const newest = scrapes.at(-1)
      if (newest) for (const sample of newest.samples) if (accepts(sample)) out.push(sample)
    }
    return out
  }

  /**
   * Every series `accepts` over the last `windowMs`. A series that first appears after a
   * successful scrape of its target inside the window starts from 0 there: a counter created
   * by its first event (the first dead task) counts that event, which PromQL's `increase` misses.
   */
  range(accepts: (sample: Sample) => boolean, windowMs: number, now: number): RangeSeries[] {
    const out: RangeSeries[] = []
    for (const scrapes of this.byTarget.values()) {
      const inWindow = scrapes.filter((s) => s.at >= now - windowMs && s.ok)
      const series = new Map<string, RangeSeries>()
      inWindow.forEach((scrape, index) => {
        for (const sample of scrape.samples) {
          if (!accepts(sample)) continue
          const key = seriesKey(sample.name, sample.labels)
          let entry = series.get(key)
          if (!entry) {
            entry = { name: sample.name, labels: sample.labels, points: [] }
            if (index > 0) entry.points.push({ at: inWindow[index - 1]!.at, value: 0 })
            series.set(key, entry)
          }
          entry.points.push({ at: scrape.at, value: sample.value })
        }
      })
      out.push(...series.values())
    }
    return out
  }
}
