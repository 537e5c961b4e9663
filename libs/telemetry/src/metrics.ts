import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Meter } from '@opentelemetry/api'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { KeyedHistogram, KeyedHistogramProducer } from './keyed-histogram.ts'

/**
 * One process's metrics: an OpenTelemetry meter whose readings `/metrics` serves to Prometheus.
 * Instruments are named as Prometheus expects them (`snake_case`, the unit as a suffix:
 * `_seconds`, `_bytes`), because this exporter version adds `_total` to counters but no units.
 */
export interface Metrics {
  meter: Meter
  /** A histogram cheap enough for every request (see keyed-histogram.ts). */
  keyedHistogram(name: string, options: { description: string; unit: string; boundaries: number[] }): KeyedHistogram
  /** Writes the Prometheus text format onto a raw Node response (the HTTP base hijacks the reply). */
  serve(request: IncomingMessage, response: ServerResponse): void
  shutdown(): Promise<void>
}

export function createMetrics(options: { serviceName: string }): Metrics {
  // No server of its own: the exporter's readings are served by the service's HTTP port.
  const hotPath = new KeyedHistogramProducer()
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: [hotPath] })
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    readers: [exporter],
  })
  return {
    meter: provider.getMeter('latchkey'),
    keyedHistogram: (name, options) => {
      const histogram = new KeyedHistogram(name, options.description, options.unit, options.boundaries)
      hotPath.histograms.push(histogram)
      return histogram
    },
    serve: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => provider.shutdown(),
  }
}
