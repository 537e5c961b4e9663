// Prisma's schema engine, compiled to WebAssembly, talking to PostgreSQL through @prisma/adapter-pg.
// The Prisma CLI's migrate commands need a native engine binary that cannot be downloaded here
// (see /work/shared/notes/prisma-migrations-without-the-native-engine.md).
//
// Engine version: @prisma/schema-engine-wasm 8.1.0-2.59be4fda. Prisma 7.10.1 is built against
// engines 8.1.0-1.d1b3f377, which was never published as a wasm package; 8.1.0-2 is the only 8.1
// build and has the same wasm-bindgen interface (identical import/export lists).
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'
import * as runtime from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg'

export type { SchemaEngine, MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg'

const dbPackageDir = fileURLToPath(new URL('..', import.meta.url))
export const defaultSchemaPath = path.join(dbPackageDir, 'prisma', 'schema.prisma')
export const defaultMigrationsDir = path.join(dbPackageDir, 'prisma', 'migrations')
export const lockfileName = 'migration_lock.toml'
export const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] }

// lib is ES2023 without DOM, so the WebAssembly global has no typings here.
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>
  }
}

let loaded: Promise<typeof runtime> | undefined

// The engine races its lock query against a 10 s timer and, importing no clearTimeout, never
// cancels it: such timers would keep a finished migrator alive for 10 s. They are cleared once no
// engine is open (not unref'd, so that an engine waiting on a timer alone still keeps the process up).
const engineTimers = new Set<NodeJS.Timeout>()
let openEngines = 0

function clearTimersIfIdle(): void {
  if (openEngines > 0) return
  for (const timer of engineTimers) clearTimeout(timer)
  engineTimers.clear()
}

function trackedSetTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer)
    fn()
  }, ms >>> 0)
  engineTimers.add(timer)
  return timer
}

// The package's own entry imports the .wasm as an ES module, which Node 20 only allows behind a
// flag, so the wasm-bindgen runtime is wired up by hand. One instance serves every engine.
function loadRuntime(): Promise<typeof runtime> {
  loaded ??= (async () => {
    const runtimePath = fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'))
    const wasmPath = runtimePath.replace(/\.js$/, '.wasm')
    const imports = Object.fromEntries(
      Object.entries(runtime).map(([name, value]) => [name, name.startsWith('__wbg_setTimeout_') ? trackedSetTimeout : value]),
    )
    const { instance } = await wasmApi.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': imports })
    runtime.__wbg_set_wasm(instance.exports)
    const start = instance.exports['__wbindgen_start'] as () => void
    start()
    return runtime
  })()
  return loaded
}

// adapter-pg 7.10 cannot map PostgreSQL's internal "char" (OID 18), which the engine's catalog
// queries return; its values are single characters, so reporting the column as text is exact.
function charAsText(result: unknown): unknown {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as { fields?: { dataTypeID: number }[] } | undefined)?.fields ?? []) {
      if (field.dataTypeID === 18) field.dataTypeID = 25
    }
  }
  return result
}

class CharAsTextClient extends pg.Client {
  override query(...args: any[]): any {
    const callback = args.at(-1)
    if (typeof callback === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => callback(err, err ? res : charAsText(res))
      return (super.query as (...a: any[]) => any)(...args)
    }
    const ret = (super.query as (...a: any[]) => any)(...args)
    return typeof ret?.then === 'function' ? ret.then(charAsText) : ret
  }
}

// adapter-pg's executeScript splits on ';' and sends each piece separately through the pool:
// a ';' inside a string or a function body breaks, and a failing migration is left half applied.
// One simple-protocol query runs the whole script in one implicit transaction, as the native engine does.
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const pool = (adapter as unknown as { underlyingDriver(): pg.Pool }).underlyingDriver()
  const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter)
  adapter.executeScript = async (script: string) => {
    await pool.query(script).catch(onError)
  }
  return adapter
}

function pgConfig(databaseUrl: string): { pool: pg.PoolConfig, schema: string | undefined } {
  const schema = new URL(databaseUrl).searchParams.get('schema') ?? undefined
  return { pool: { connectionString: databaseUrl, Client: CharAsTextClient, max: 4 }, schema }
}

export interface OpenEngineOptions {
  databaseUrl: string
  // Only diffs against a migrations folder need one; it must exist and be empty.
  shadowDatabaseUrl?: string
  schemaPath?: string
  log?: (msg: string) => void
}

export interface OpenedEngine {
  engine: SchemaEngine
  close(): Promise<void>
}

export async function openSchemaEngine(options: OpenEngineOptions): Promise<OpenedEngine> {
  const wasm = await loadRuntime()
  const schemaPath = options.schemaPath ?? defaultSchemaPath
  const schemaText = await readFile(schemaPath, 'utf8')

  // The engine does not always dispose what it connects, so every adapter is tracked and closed here.
  const open = new Set<SqlDriverAdapter>()
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const dispose = adapter.dispose.bind(adapter)
    adapter.dispose = async () => {
      if (open.delete(adapter)) await dispose()
    }
    open.add(adapter)
    return wholeScripts(adapter)
  }
  const factoryFor = (url: string) => {
    const { pool, schema } = pgConfig(url)
    return new PrismaPg(pool, schema ? { schema } : undefined)
  }
  const main = factoryFor(options.databaseUrl)
  const shadowUrl = options.shadowDatabaseUrl
  // Our own shadow connection instead of adapter-pg's connectToShadowDb, which either targets
  // the main database (connectionString wins over the shadow name) or drops the shadow too early.
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => track(await main.connect()),
    connectToShadowDb: async () => {
      if (!shadowUrl) throw new Error('this operation needs a shadow database, and none was given')
      return track(await factoryFor(shadowUrl).connect())
    },
  }

  const log = options.log ?? (() => {})
  const disposeAll = () => Promise.all([...open].map((adapter) => adapter.dispose()))
  openEngines++
  let engine: SchemaEngine
  try {
    engine = await wasm.SchemaEngine.new(
      { datamodels: [[schemaPath, schemaText]] },
      (msg: string) => log(msg),
      bindMigrationAwareSqlAdapterFactory(factory),
    )
  } catch (err) {
    openEngines--
    clearTimersIfIdle()
    await disposeAll()
    throw err
  }
  let closed = false
  return {
    engine,
    async close() {
      if (closed) return
      closed = true
      engine.free()
      openEngines--
      clearTimersIfIdle()
      await disposeAll()
    },
  }
}

// The engine's description of a Prisma migrations folder: `<dir>/<name>/migration.sql` plus the lockfile.
export async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      const content = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (err: Error) => ({ tag: 'error' as const, value: err.message }),
      )
      return { path: name, migrationFile: { path: 'migration.sql', content } }
    }),
  )
  const lockfile = await readFile(path.join(migrationsDir, lockfileName), 'utf8').catch(() => null)
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfileName, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories,
  }
}
