import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api'
import { AggregationTemporality, DataPointType, type CollectionResult, type HistogramMetricData, type MetricProducer } from '@opentelemetry/sdk-metrics'
import { emptyResource } from '@opentelemetry/resources'

interface Series {
  attributes: Attributes
  counts: number[]
  sum: number
  count: number
  min: number
  max: number
}

const toHrTime = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000]

/**
 * A histogram for the hottest paths (every HTTP request): the caller names each attribute set by
 * a string key it builds anyway, so a record is a map lookup and an increment (tens of
 * nanoseconds), where the SDK's histogram hashes the attributes on every record (microseconds).
 * Its readings reach Prometheus through the exporter as a metric producer, beside the SDK's.
 */
export class KeyedHistogram {
  private readonly series = new Map<string, Series>()
  private readonly startTime = toHrTime(Date.now())

  constructor(
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    private readonly boundaries: number[],
  ) {}

  /** Records `value` in the series `key`; `attributes` is called once, when the key is new. */
  record(value: number, key: string, attributes: () => Attributes): void {
    let series = this.series.get(key)
    if (series === undefined) {
      series = { attributes: attributes(), counts: new Array<number>(this.boundaries.length + 1).fill(0), sum: 0, count: 0, min: Infinity, max: -Infinity }
      this.series.set(key, series)
    }
    let bucket = 0
    while (bucket < this.boundaries.length && value > this.boundaries[bucket]!) bucket++
    series.counts[bucket]!++
    series.sum += value
    series.count++
    if (value < series.min) series.min = value
    if (value > series.max) series.max = value
  }

  toMetricData(endTime: HrTime): HistogramMetricData {
    return {
      descriptor: { name: this.name, description: this.description, unit: this.unit, valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.series.values()].map((s) => ({
        attributes: s.attributes,
        startTime: this.startTime,
        endTime,
        value: { buckets: { boundaries: this.boundaries, counts: [...s.counts] }, sum: s.sum, count: s.count, min: s.min, max: s.max },
      })),
    }
  }
}

/** Hands the keyed histograms to the Prometheus exporter at each scrape. */
export class KeyedHistogramProducer implements MetricProducer {
  readonly histograms: KeyedHistogram[] = []

  async collect(): Promise<CollectionResult> {
    const now = toHrTime(Date.now())
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: 'latchkey-hot-path' }, metrics: this.histograms.map((h) => h.toMetricData(now)) }],
      },
      errors: [],
    }
  }
}
