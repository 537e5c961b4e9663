import fp from 'fastify-plugin'
import type {} from '@latchkey/http'
import { isDependencyOutage } from '@latchkey/errors'
import { redactUrl } from '@latchkey/logger'
import { createPrismaClient, type Database } from './create-prisma-client.ts'
import { migrateDatabase } from './migrate.ts'
import { observeDatabaseReachability } from './reachability-metric.ts'
import { QueryMetrics } from './query-metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    /** The process's query metrics: another pool of its own reports through `dbMetrics.clientClass(name)`. */
    dbMetrics: QueryMetrics
  }
}

/** Raised at boot when PostgreSQL cannot be reached; its message is the one line an operator needs. */
export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `PostgreSQL is unreachable at ${redactUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start it (e.g. `pg_ctlcluster 15 main start`) or set DATABASE_URL.',
    )
    this.name = 'DatabaseUnreachableError'
  }
}

export interface DatabasePluginOptions {
  url: string
  poolSize: number
  /** Apply pending migrations at boot (under an advisory lock, so replicas may start together). */
  migrate: boolean
  /** Queries taking at least this long count as slow (`latchkey_db_slow_queries_total`); default 1 s. */
  slowQueryMs?: number
}

/** The process's Prisma Client: migrated and reachable before any route is served, closed last. */
export const databasePlugin = fp<DatabasePluginOptions>(
  async (fastify, options) => {
    try {
      if (options.migrate) {
        const { applied } = await migrateDatabase({ databaseUrl: options.url, log: (msg, fields) => fastify.log.info(fields ?? {}, msg) })
        if (applied.length > 0) fastify.log.info({ applied }, 'database migrations applied')
      }
    } catch (err) {
      // A migration that fails on a reachable server is reported as what it is.
      if (isDependencyOutage(err)) throw new DatabaseUnreachableError(options.url, err)
      throw err
    }
    const metrics = new QueryMetrics(fastify.metrics, (options.slowQueryMs ?? 1_000) / 1000)
    const db = createPrismaClient({ url: options.url, poolSize: options.poolSize, metrics })
    try {
      await db.$queryRaw`SELECT 1`
    } catch (err) {
      await db.$disconnect().catch(() => {})
      throw new DatabaseUnreachableError(options.url, err)
    }
    fastify.decorate('db', db)
    fastify.decorate('dbMetrics', metrics)
    observeDatabaseReachability(fastify.metrics.meter, () => db.$queryRaw`SELECT 1`)
    fastify.readiness.add({
      name: 'postgresql',
      critical: true,
      check: async () => {
        await db.$queryRaw`SELECT 1`
        return { state: 'up' }
      },
    })
    fastify.addHook('onClose', async () => {
      await db.$disconnect()
    })
  },
  { name: 'database', dependencies: ['readiness', 'metrics-routes'] },
)
