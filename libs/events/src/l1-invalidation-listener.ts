import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type {} from '@latchkey/http'
import { startProcessSpan } from '@latchkey/nats'
import type { TieredCache } from '@latchkey/cache'
import { decodeJson, encodeJson, type WarmRequest } from './change-event.ts'
import { followL1FanOut } from './l1-fan-out.ts'
import type { Subjects } from './subjects.ts'

export interface L1Stats {
  replica: string
  pid: number
  at: number
  stats: ReturnType<TieredCache['stats']['snapshot']>
  sizes: Record<string, { entries: number; bytes: number }>
}

/**
 * Keeps this process's L1 consistent with every write, wherever it happened: applies the
 * invalidator's fan-out (see `followL1FanOut` for NATS outages), and records how long after the
 * commit each invalidation arrived. Every `statsIntervalMs` it publishes its L1 figures for the
 * invalidator's `/v1/cache/stats`.
 */
export const l1InvalidationListener = fp<{ subjects: Subjects; degradedTtlMs: number; statsIntervalMs: number }>(
  async (fastify, options) => {
    const { cache, nats } = fastify
    const replica = randomUUID()
    const delay = fastify.metrics.meter.createHistogram('latchkey_cache_invalidation_delay_seconds', {
      unit: 's',
      description: "Time from a write's commit to this process dropping the entries it made stale from its L1",
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] },
    })
    const stopFollowing = followL1FanOut(nats, {
      subjects: options.subjects,
      cache,
      degradedTtlMs: options.degradedTtlMs,
      log: fastify.log,
      apply: (message, msg) => {
        // The last hop of a write's trace: this replica dropping what the write made stale.
        const span = startProcessSpan(msg, { attributes: { 'latchkey.cache.replica': replica } })
        for (const invalidation of message.invalidations) cache.invalidateLocal(invalidation)
        span.end()
        const now = Date.now()
        for (const committedAt of message.committedAt) delay.record(Math.max(0, now - committedAt) / 1000)
      },
    })

    // A warming pass on demand (the invalidator's POST /v1/cache/warm, or the scheduler).
    const warmRequests = nats.subscribe(options.subjects.warmRequests, {
      callback: (err, msg) => {
        if (err) return
        const { withinMs } = decodeJson<WarmRequest>(msg.data)
        const queued = cache.warmExpiring(withinMs)
        fastify.log.debug({ queued }, 'warming pass')
      },
    })

    const publishStats = setInterval(() => {
      if (nats.isClosed()) return
      const report: L1Stats = { replica, pid: process.pid, at: Date.now(), stats: cache.stats.snapshot(), sizes: Object.fromEntries(cache.localSizes()) }
      try {
        nats.publish(options.subjects.l1Stats, encodeJson(report))
      } catch {
        // Disconnected: the next interval tries again.
      }
    }, options.statsIntervalMs)
    publishStats.unref()

    fastify.addHook('onClose', async () => {
      stopFollowing()
      clearInterval(publishStats)
      warmRequests.unsubscribe()
    })
  },
  { name: 'l1-invalidation-listener', dependencies: ['nats', 'cache'] },
)
