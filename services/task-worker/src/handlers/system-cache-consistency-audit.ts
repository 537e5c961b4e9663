import type { CacheAuditReport } from '@latchkey/permission'
import type { Counter, Metrics } from '@latchkey/telemetry'
import { defineTask, TaskRejectedError } from '../registry.ts'

const DEFAULT_SAMPLE = 500
const MAX_SAMPLE = 10_000
/** A differing entry is read again after this: an invalidation on its way takes milliseconds. */
const RECHECK_AFTER_MS = 1_000

// One pair of counters per process (the handler runs many times; instruments are made once).
const counters = new WeakMap<Metrics, { sampled: Counter; mismatched: Counter }>()
function countersOf(metrics: Metrics) {
  let found = counters.get(metrics)
  if (!found) {
    found = {
      sampled: metrics.meter.createCounter('latchkey_cache_audit_sampled_entries', { description: 'Cached permission entries the consistency audit compared with PostgreSQL' }),
      mismatched: metrics.meter.createCounter('latchkey_cache_audit_mismatches', { description: 'Cached permission entries that disagreed with PostgreSQL (after a recheck)' }),
    }
    counters.set(metrics, found)
  }
  return found
}

/**
 * The cache consistency audit: samples users' effective permissions cached in Redis (L2) and
 * compares them with PostgreSQL. Mismatches (entries still wrong after a recheck) are counted in
 * `latchkey_cache_audit_mismatches_total` and listed in the result; any is logged as an error,
 * since exact invalidation should never leave one. Read-only: running it twice does no harm.
 */
export default defineTask<{ sample?: number } | undefined, CacheAuditReport | { skipped: string }>({
  type: 'system.cache_consistency_audit',
  description: 'Samples cached permission entries in Redis and counts those that disagree with PostgreSQL (payload.sample, default 500)',
  queues: ['system'],
  maxAttempts: 3,
  backoff: { baseMs: 5_000, maxMs: 60_000 },
  async handle(payload, { services, log }) {
    const sample = payload?.sample ?? DEFAULT_SAMPLE
    if (!Number.isInteger(sample) || sample < 1 || sample > MAX_SAMPLE) throw new TaskRejectedError(`payload.sample must be an integer from 1 to ${MAX_SAMPLE}, got ${JSON.stringify(sample)}`)
    const tier = services.cache?.sharedTier
    if (!services.cache || !tier) return { skipped: 'this process has no Redis cache (CACHE_L2_ENABLED=false)' }
    // Retried: Redis may be back by the next attempt.
    if (!tier.available) throw new Error('Redis (L2) is unavailable; the audit will be retried')
    // Loaded when the audit runs, not when the worker starts: the permission package is large
    // (gRPC, the proto), and every worker process would otherwise load it at start for one
    // hourly task.
    const { auditCachedPermissions } = await import('@latchkey/permission')
    const report = await auditCachedPermissions({ db: services.db, cache: services.cache }, { sample, recheckAfterMs: RECHECK_AFTER_MS })
    const metrics = countersOf(services.metrics)
    metrics.sampled.add(report.sampled)
    metrics.mismatched.add(report.mismatched)
    if (report.mismatched > 0) log.error({ ...report }, 'cache consistency audit: cached permissions disagree with PostgreSQL')
    else log.info({ sampled: report.sampled, matched: report.matched, vanished: report.vanished }, 'cache consistency audit: the sampled entries agree with PostgreSQL')
    return report
  },
})
