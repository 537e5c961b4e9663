// Applies the Prisma migrations folder to a database, like `prisma migrate deploy`, at startup or
// from a Kubernetes Job. Safe to run from many processes at once: they queue on an advisory lock.
import pg from 'pg'
import { defaultMigrationsDir, noFilters, openSchemaEngine, readMigrationsList } from './schema-engine.ts'

export interface MigrateOptions {
  databaseUrl: string
  migrationsDir?: string
  log?: (msg: string, fields?: object) => void
}

// Session advisory lock key held while migrating: the ASCII bytes of "latchkey" read as a signed
// 64-bit integer. Advisory locks are per database, so it only serializes migrators of one database.
// The engine also takes Prisma's lock 72707369, but gives up after 10 s (P1002); replicas queued on
// this one wait for as long as a slow migration takes.
export const MIGRATION_LOCK_KEY = 0x6c617463686b6579n

export async function migrateDatabase(options: MigrateOptions): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {})
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir
  const database = databaseName(options.databaseUrl)

  if (await ensureDatabase(options.databaseUrl)) log('created database', { database })

  const lockClient = new pg.Client({ connectionString: options.databaseUrl })
  await lockClient.connect()
  try {
    const started = Date.now()
    await lockClient.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()])
    log('migration lock acquired', { database, waitedMs: Date.now() - started })

    // Read after the lock so that the list is what this process applies, not a stale snapshot.
    const migrationsList = await readMigrationsList(migrationsDir)
    const { engine, close } = await openSchemaEngine({ databaseUrl: options.databaseUrl })
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters })
      log(appliedMigrationNames.length ? 'migrations applied' : 'database is up to date', {
        database,
        applied: appliedMigrationNames,
        known: migrationsList.migrationDirectories.length,
      })
      return { applied: appliedMigrationNames }
    } finally {
      await close()
    }
  } finally {
    // Closing the session would release the lock too; unlocking first lets the next replica go at once.
    await lockClient.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {})
    await lockClient.end()
  }
}

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  if (!name) throw new Error('the database URL names no database')
  return name
}

// The same server, its `postgres` maintenance database: somewhere to connect to while the target
// database does not exist yet.
export function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl)
  url.pathname = '/postgres'
  url.searchParams.delete('schema')
  return url.toString()
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

// Creates the database unless it exists; true when this call created it.
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl)
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl) })
  await client.connect()
  try {
    // Checked first so that a role without CREATEDB can migrate a database that already exists.
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (rowCount) return false
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`)
    return true
  } catch (err) {
    // Another process created it in between: 42P04, or 23505 when both inserted into pg_database at once.
    const code = (err as { code?: string }).code
    if (code === '42P04' || code === '23505') return false
    throw err
  } finally {
    await client.end()
  }
}
