import pg from 'pg'
import { isDependencyOutage } from '@latchkey/errors'
import { KeyedCounter, type Metrics } from '@latchkey/telemetry'

// Bounds in seconds, with the slow-query mark of the replaced system (1 s) among them.
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]

const operationOf = (text: string): string => {
  const word = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase()
  return word === 'SELECT' || word === 'INSERT' || word === 'UPDATE' || word === 'DELETE' || word === 'WITH' || word === 'BEGIN' || word === 'COMMIT' || word === 'ROLLBACK' ? word : 'OTHER'
}

const textOf = (query: unknown): string => (typeof query === 'string' ? query : typeof (query as { text?: unknown })?.text === 'string' ? (query as { text: string }).text : '')

/**
 * Query durations (OpenTelemetry's `db.client.operation.duration`), slow queries (at least
 * `slowSeconds`, the replaced system's 1 s by default) and connection errors (a query or a connect
 * lost to an unreachable or restarting server), by connection pool and operation. One per
 * process (its instruments can be registered once), shared by every pool through `clientClass`.
 */
export class QueryMetrics {
  private readonly duration
  private readonly slow = new KeyedCounter()
  private readonly connectionErrors = new KeyedCounter()

  constructor(
    metrics: Metrics,
    private readonly slowSeconds: number,
  ) {
    this.duration = metrics.keyedHistogram('db_client_operation_duration_seconds', { unit: 's', description: 'Duration of database queries, by operation and outcome', boundaries: durationBuckets })
    metrics.meter.createObservableCounter('latchkey_db_slow_queries', { description: 'Database queries that took at least the slow-query threshold' }).addCallback((result) => this.slow.observe(result))
    metrics.meter
      .createObservableCounter('latchkey_db_connection_errors', { description: 'Connections that could not be made or broke, and queries lost with them' })
      .addCallback((result) => this.connectionErrors.observe(result))
  }

  record(pool: string, text: string, seconds: number, error: unknown): void {
    const operation = operationOf(text)
    const outcome = error === undefined ? 'ok' : 'error'
    this.duration.record(seconds, `${pool} ${operation} ${outcome}`, () => ({ 'db.system.name': 'postgresql', 'db.operation.name': operation, pool, outcome }))
    if (seconds >= this.slowSeconds) this.slow.add(`${pool} ${operation}`, () => ({ 'db.system.name': 'postgresql', 'db.operation.name': operation, pool }))
    if (error !== undefined && isDependencyOutage(error)) this.connectionFailed(pool)
  }

  connectionFailed(pool: string): void {
    this.connectionErrors.add(pool, () => ({ 'db.system.name': 'postgresql', pool }))
  }

  /** A `pg.Client` whose queries and connects count for `pool` (for `new pg.Pool({ Client })`, which adapter-pg passes through). */
  clientClass(pool: string): typeof pg.Client {
    const metrics = this
    return class InstrumentedClient extends pg.Client {
      override connect(...args: any[]): any {
        const callback = args[0] as ((err: Error | null, client?: unknown) => void) | undefined
        const connect = super.connect as (...a: any[]) => any
        if (callback) return connect.call(this, (err: Error | null, client?: unknown) => (err && metrics.connectionFailed(pool), callback(err, client)))
        return (connect.call(this) as Promise<unknown>).catch((err: unknown) => {
          metrics.connectionFailed(pool)
          throw err
        })
      }

      override query(...args: any[]): any {
        const started = performance.now()
        const text = textOf(args[0])
        const done = (err: unknown) => metrics.record(pool, text, (performance.now() - started) / 1000, err ?? undefined)
        const callback = args.at(-1)
        if (typeof callback === 'function') {
          args[args.length - 1] = (err: unknown, res: unknown) => (done(err), callback(err, res))
          return (super.query as (...a: any[]) => any)(...args)
        }
        const ret = (super.query as (...a: any[]) => any)(...args)
        if (typeof ret?.then !== 'function') return ret
        return ret.then(
          (res: unknown) => (done(undefined), res),
          (err: unknown) => {
            done(err)
            throw err
          },
        )
      }
    }
  }
}
