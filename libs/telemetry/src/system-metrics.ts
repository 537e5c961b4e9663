import { statfs } from 'node:fs/promises'
import { cpus, freemem, totalmem } from 'node:os'
import type { BatchObservableCallback, Meter } from '@opentelemetry/api'

const cpuTimes = () => {
  let busy = 0
  let total = 0
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq
    total += all
    busy += all - times.idle
  }
  return { busy, total }
}

/**
 * The host the process runs on, named as OpenTelemetry's system metrics are (`system.cpu.utilization`,
 * `system.memory.*`, `system.filesystem.*`): what the alert rules high_cpu_usage,
 * high_memory_usage and low_disk_space read. CPU is the share busy since the previous reading
 * (each scrape), memory counts what the kernel reports available as free, disk is read with
 * statfs for each of `filesystems` (mount points or any path on them).
 */
export function observeSystem(meter: Meter, filesystems: string[] = ['/']): () => void {
  const cpu = meter.createObservableGauge('system_cpu_utilization_ratio', { unit: '1', description: 'Share of the host CPU time spent busy since the previous reading (0 to 1)' })
  const memoryUsage = meter.createObservableGauge('system_memory_usage_bytes', { unit: 'By', description: 'Host memory in use (total minus available)' })
  const memoryLimit = meter.createObservableGauge('system_memory_limit_bytes', { unit: 'By', description: 'Host memory in total' })
  const memoryRatio = meter.createObservableGauge('system_memory_utilization_ratio', { unit: '1', description: 'Share of host memory in use (0 to 1)' })
  const diskUsage = meter.createObservableGauge('system_filesystem_usage_bytes', { unit: 'By', description: 'Bytes in use on a filesystem' })
  const diskLimit = meter.createObservableGauge('system_filesystem_limit_bytes', { unit: 'By', description: 'Size of a filesystem' })
  const diskRatio = meter.createObservableGauge('system_filesystem_utilization_ratio', { unit: '1', description: 'Share of a filesystem in use (0 to 1), as df counts it' })

  let previous = cpuTimes()
  const instruments = [cpu, memoryUsage, memoryLimit, memoryRatio, diskUsage, diskLimit, diskRatio]
  const observe: BatchObservableCallback = async (result) => {
    const now = cpuTimes()
    const elapsed = now.total - previous.total
    if (elapsed > 0) result.observe(cpu, (now.busy - previous.busy) / elapsed)
    previous = now
    const total = totalmem()
    const used = total - freemem()
    result.observe(memoryUsage, used)
    result.observe(memoryLimit, total)
    result.observe(memoryRatio, used / total)
    for (const mountpoint of filesystems) {
      const stats = await statfs(mountpoint).catch(() => undefined)
      if (!stats || stats.blocks === 0) continue
      const attributes = { 'system.filesystem.mountpoint': mountpoint }
      const size = stats.blocks * stats.bsize
      const inUse = (stats.blocks - stats.bfree) * stats.bsize
      result.observe(diskUsage, inUse, attributes)
      result.observe(diskLimit, size, attributes)
      // As df: used / (used + available to unprivileged users), so the root reserve counts as full.
      result.observe(diskRatio, inUse / (inUse + stats.bavail * stats.bsize), attributes)
    }
  }
  meter.addBatchObservableCallback(observe, instruments)
  return () => meter.removeBatchObservableCallback(observe, instruments)
}
