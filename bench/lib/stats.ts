// Small statistics over samples.

/** The q-quantile (0..1) of `sorted` (ascending), by nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export function median(values: number[]): number {
  return quantile(Float64Array.from(values).sort(), 0.5)
}

/** Collects many numbers cheaply (a growing Float64Array), for percentiles at the end. */
export class Samples {
  private data = new Float64Array(1 << 16)
  private size = 0

  add(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.size++] = value
  }

  get count(): number {
    return this.size
  }

  /** p50, p90, p99, p99.9, max and mean. */
  summary(): { p50: number; p90: number; p99: number; p999: number; max: number; mean: number } {
    const sorted = this.data.slice(0, this.size).sort()
    let sum = 0
    for (const v of sorted) sum += v
    return {
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      p999: quantile(sorted, 0.999),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      mean: this.size > 0 ? sum / this.size : Number.NaN,
    }
  }
}
