import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import pg from 'pg'
import { databaseName, maintenanceUrl, migrateDatabase, quoteIdent } from '../src/migrate.ts'

// Any database URL on the test server; only its host and credentials are used.
const serverUrl = maintenanceUrl(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres')
const initMigration = /^\d{14}_init$/
const migrationFolders = readdirSync(fileURLToPath(new URL('../prisma/migrations', import.meta.url)), { withFileTypes: true }).filter((e) => e.isDirectory())

// A database name nobody has used, dropped when the test ends.
function freshDatabaseUrl(t: { teardown(fn: () => unknown): void }): string {
  const url = new URL(serverUrl)
  url.pathname = `/latchkey_migrate_test_${randomBytes(5).toString('hex')}`
  const drop = `DROP DATABASE IF EXISTS ${quoteIdent(databaseName(url.toString()))} WITH (FORCE)`
  t.teardown(() => withClient(serverUrl, (c) => c.query(drop)))
  return url.toString()
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

const databaseExists = (url: string) =>
  withClient(serverUrl, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(url)])
    return rowCount === 1
  })

t.test('creates the database, applies init once, then applies nothing', async (t) => {
  const url = freshDatabaseUrl(t)
  t.notOk(await databaseExists(url))

  const messages: string[] = []
  const first = await migrateDatabase({ databaseUrl: url, log: (msg) => messages.push(msg) })
  t.ok(await databaseExists(url))
  // Every migration of the folder, init first (the tasks migration of issue 4 follows it).
  t.equal(first.applied.length, migrationFolders.length)
  t.match(first.applied[0], initMigration)
  t.ok(messages.includes('created database'))

  const second = await migrateDatabase({ databaseUrl: url })
  t.same(second.applied, [])

  const tables = await withClient(url, async (c) => {
    const { rows } = await c.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    )
    return rows.map((r) => r.table_name)
  })
  t.same(tables, [
    '_prisma_migrations',
    'alert_episodes',
    'alert_rule_overrides',
    'commission_rates',
    'commissions',
    'deal_stage_history',
    'deals',
    'health_checks',
    'member_roles',
    'metric_rollups',
    'metric_samples',
    'notifications',
    'organizations',
    'outbox_events',
    'permissions',
    'role_inheritance',
    'role_permissions',
    'roles',
    'schedule_runs',
    'schedules',
    'tasks',
    'uploaded_files',
    'users',
  ])
})

t.test('concurrent migrators on a missing database both succeed and apply init once', async (t) => {
  const url = freshDatabaseUrl(t)

  const results = await Promise.all([migrateDatabase({ databaseUrl: url }), migrateDatabase({ databaseUrl: url })])
  const applied = results.flatMap((r) => r.applied)
  t.equal(applied.length, migrationFolders.length, 'between them, each migration was applied once')
  t.match(applied[0], initMigration)

  const recorded = await withClient(url, async (c) => {
    const { rows } = await c.query<{ migration_name: string, finished: boolean }>(
      'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
    )
    return rows
  })
  t.same(recorded, [...applied].sort().map((name) => ({ migration_name: name, finished: true })))
})
