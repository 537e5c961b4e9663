import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureDatabase, maintenanceUrl, migrateDatabase, quoteIdent } from '@latchkey/db'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const serverUrl = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const migrationsDir = fileURLToPath(new URL('../../db/prisma/migrations', import.meta.url))

/** The template is named after the migrations' content, so a new migration makes a new template. */
function templateName(): string {
  const hash = createHash('sha256')
  for (const entry of readdirSync(migrationsDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) hash.update(entry.name).update(readFileSync(join(migrationsDir, entry.name, 'migration.sql')))
  }
  return `latchkey_template_${hash.digest('hex').slice(0, 12)}`
}

function urlFor(database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function withServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(serverUrl) })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

let template: Promise<string> | undefined

/** A migrated template database, made once per migrations version (concurrent makers queue on a lock). */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = templateName()
    await ensureDatabase(urlFor(name))
    await migrateDatabase({ databaseUrl: urlFor(name) })
    return name
  })()
  return template
}

/**
 * A fresh, migrated database of its own for one test (copied from the template, which is fast),
 * and a function that drops it.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const source = await migratedTemplate()
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`
  for (let attempt = 0; ; attempt++) {
    try {
      await withServer((client) => client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(source)}`))
      break
    } catch (err) {
      // 55006: another session is copying or migrating the template at this instant.
      if ((err as { code?: string }).code !== '55006' || attempt > 50) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return {
    url: urlFor(name),
    drop: () => withServer((client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(() => undefined),
  }
}
