import type { TieredCache } from '@latchkey/cache'
import type { Log } from '@latchkey/logger'
import type { Msg, NatsConnection } from '@nats-io/transport-node'
import { decodeJson, type L1InvalidationMessage } from './change-event.ts'
import type { Subjects } from './subjects.ts'

export interface L1FanOutOptions {
  subjects: Subjects
  /** The L1 to keep fresh (its age is bounded, and it is dropped, around NATS outages). */
  cache: Pick<TieredCache, 'limitLocalAge' | 'clearLocal'>
  /** Applies one fan-out message (one change event) to the L1; `msg` carries its headers (trace context). */
  apply(message: L1InvalidationMessage, msg: Msg): void
  /** While NATS is unreachable, the oldest L1 entry served. */
  degradedTtlMs: number
  log: Log
}

/** After a reconnect the backlog of events is still on its way: L1 stays bounded this long at most. */
const catchUpMs = 10_000

/**
 * Follows the invalidator's L1 fan-out on `connection`: every message is handed to `apply`.
 * While NATS is unreachable the fan-out cannot arrive, so L1 serves nothing older than
 * `degradedTtlMs`; on reconnect L1 is dropped whole (what was missed cannot be replayed) and stays
 * bounded until the fan-out flows again (its first message), or 10 s at most. Returns the stop.
 */
export function followL1FanOut(connection: NatsConnection, options: L1FanOutOptions): () => void {
  const { cache, log } = options
  let lift: NodeJS.Timeout | undefined
  const liftAgeLimit = () => {
    clearTimeout(lift)
    lift = undefined
    cache.limitLocalAge(undefined)
  }
  const subscription = connection.subscribe(options.subjects.l1Invalidations, {
    callback: (err, msg) => {
      if (err) return
      if (lift) liftAgeLimit()
      options.apply(decodeJson<L1InvalidationMessage>(msg.data), msg)
    },
  })

  let watching = true
  void (async () => {
    for await (const status of connection.status()) {
      if (!watching) break
      if (status.type === 'disconnect') {
        clearTimeout(lift)
        lift = undefined
        log.warn({ maxAgeMs: options.degradedTtlMs }, 'NATS unreachable: L1 entries are served for a bounded time only')
        cache.limitLocalAge(options.degradedTtlMs)
      } else if (status.type === 'reconnect') {
        cache.clearLocal()
        lift = setTimeout(liftAgeLimit, catchUpMs)
        log.info('NATS reachable again: L1 dropped (invalidations may have been missed); bounded until the fan-out flows')
      }
    }
  })()

  return () => {
    watching = false
    clearTimeout(lift)
    subscription.unsubscribe()
  }
}
