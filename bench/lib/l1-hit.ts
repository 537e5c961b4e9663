// The cost of an L1 hit, in process: TieredCache.get answered from its MemoryTier (awaited, as
// every caller does), and the bare MemoryTier.read underneath it. The entries are the permission
// service's own kind (a user's effective permissions in an organization), and every partition
// has watermarks, as it has once any write reached it.
import { randomUUID } from 'node:crypto'
import { MemoryTier, TieredCache } from '@latchkey/cache'
import { createLogger } from '@latchkey/logger'
import { createMetrics } from '@latchkey/telemetry'
import { permissionCacheTypes } from '../../services/permission/src/cache-types.ts'
import { PermissionSet } from '@latchkey/permission-set'
import { measure, type MicroResult } from './micro.ts'

export interface L1HitResult {
  get: MicroResult
  read: MicroResult
  entries: number
  partitions: number
  /** Misses seen during the loops: must be 0, or the figures are not of hits. */
  misses: number
}

export async function measureL1Hit(options: { getIterations: number; readIterations: number; entries?: number; partitions?: number }): Promise<L1HitResult> {
  const entries = options.entries ?? 10_000
  const partitions = Array.from({ length: options.partitions ?? 50 }, () => randomUUID())
  const metrics = createMetrics({ serviceName: 'latchkey-bench' })
  const l1 = new MemoryTier({ maxEntries: 200_000, maxBytes: 128 * 1024 * 1024 })
  const cache = new TieredCache({ l1, meter: metrics.meter, log: createLogger({ level: 'silent', name: 'bench' }) })
  const type = permissionCacheTypes({ organization: 3_600_000, userPermissions: 900_000, rolePermissions: 1_800_000, orgRoles: 600_000 }).userPermissions
  const permissions = Array.from({ length: 60 }, (_, i) => `resource_${i % 20}.action_${i}`)

  const items = Array.from({ length: entries }, (_, i) => {
    const partition = partitions[i % partitions.length]!
    const id = `usr_${i.toString(36).padStart(12, '0')}`
    return { partition, id, key: cache.key(type.name, partition, id) }
  })
  // Watermarks at revision 7, as after a write to each organization.
  for (const partition of partitions) l1.watermarks.advance(partition, 7, false)
  for (const item of items) {
    await cache.get(type, item.partition, item.id, async () => ({ value: new PermissionSet(permissions), revision: 7 }))
  }
  const before = cache.stats.forType(type.name).l1.misses
  if (l1.read(items[0]!.key, items[0]!.partition) === undefined) throw new Error('MemoryTier.read misses the key TieredCache.key gives: has the key format changed?')
  const miss = async (): Promise<never> => {
    throw new Error('an L1 hit was expected')
  }

  const get = await measure(
    async (n) => {
      let acc = 0
      for (let k = 0, i = 0; k < n; k++, i = i + 1 === entries ? 0 : i + 1) {
        const item = items[i]!
        acc += (await cache.get(type, item.partition, item.id, miss)).revision
      }
      return acc
    },
    { iterations: options.getIterations },
  )
  const read = await measure(
    (n) => {
      let acc = 0
      for (let k = 0, i = 0; k < n; k++, i = i + 1 === entries ? 0 : i + 1) {
        const item = items[i]!
        acc += l1.read(item.key, item.partition)!.revision
      }
      return acc
    },
    { iterations: options.readIterations },
  )
  const misses = cache.stats.forType(type.name).l1.misses - before
  await metrics.shutdown()
  return { get, read, entries, partitions: partitions.length, misses }
}
