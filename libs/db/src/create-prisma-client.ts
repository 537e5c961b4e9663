import { createHash } from 'node:crypto'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from './generated/prisma/client.ts'
import type { QueryMetrics } from './query-metrics.ts'

export type Database = InstanceType<typeof PrismaClient>

const statementNames = new Map<string, string>()
const maxPreparedStatements = 1_000

/**
 * Statements are prepared once per connection and reused by name: PostgreSQL then plans a
 * recursive permission query once instead of on every call (planning cost more than executing).
 * The SQL comes from a fixed set of templates, so the number of names stays small (and bounded).
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql)
  if (name === undefined) {
    // Should some query ever vary its text, stop preparing new ones ('' is an unnamed statement).
    if (statementNames.size >= maxPreparedStatements) return ''
    name = `lk_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`
    statementNames.set(sql, name)
  }
  return name
}

/** Prisma Client over node-postgres (`@prisma/adapter-pg`), with a bounded pool (its queries timed when `metrics` is given). */
export function createPrismaClient(options: { url: string; poolSize: number; metrics?: QueryMetrics }): Database {
  const adapter = new PrismaPg(
    {
      connectionString: options.url,
      ...(options.metrics ? { Client: options.metrics.clientClass('main') } : {}),
      max: options.poolSize,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
    },
    { statementNameGenerator: (query) => statementName(query.sql) },
  )
  return new PrismaClient({ adapter })
}
