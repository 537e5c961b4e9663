import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { BatchObservableCallback, Meter } from '@opentelemetry/api'
import { observeSystem } from './system-metrics.ts'

/**
 * The process's own health: CPU time, memory and event-loop delay, and its host's CPU, memory and
 * disk (system-metrics.ts), read only when Prometheus scrapes (observable instruments cost
 * nothing between scrapes).
 */
export function observeProcess(meter: Meter): () => void {
  const loopDelay = monitorEventLoopDelay({ resolution: 20 })
  loopDelay.enable()

  const cpu = meter.createObservableCounter('process_cpu_seconds', { unit: 's', description: 'CPU time used by the process' })
  const memory = meter.createObservableGauge('process_resident_memory_bytes', { unit: 'By', description: 'Resident set size of the process' })
  const heap = meter.createObservableGauge('nodejs_heap_used_bytes', { unit: 'By', description: 'V8 heap in use' })
  const lag = meter.createObservableGauge('nodejs_eventloop_delay_p99_seconds', { unit: 's', description: 'Event-loop delay, 99th percentile since the last scrape' })

  const instruments = [cpu, memory, heap, lag]
  const observe: BatchObservableCallback = (result) => {
    const usage = process.cpuUsage()
    result.observe(cpu, usage.user / 1e6, { 'cpu.mode': 'user' })
    result.observe(cpu, usage.system / 1e6, { 'cpu.mode': 'system' })
    result.observe(memory, process.memoryUsage.rss())
    result.observe(heap, process.memoryUsage().heapUsed)
    result.observe(lag, loopDelay.percentile(99) / 1e9)
    loopDelay.reset()
  }
  meter.addBatchObservableCallback(observe, instruments)
  const stopSystem = observeSystem(meter)
  return () => {
    stopSystem()
    meter.removeBatchObservableCallback(observe, instruments)
    loopDelay.disable()
  }
}
