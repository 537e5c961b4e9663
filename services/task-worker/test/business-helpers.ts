// Shared helpers of the business processor tests: the platform (permission service, cache
// invalidator and task worker in one process, like TARGET=all) with data made by the data
// generator at a small size, its own storage and mail directories, and reads of its tables.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { businessCacheTypes, type BusinessDeps } from '@latchkey/business'
import type { TieredCache } from '@latchkey/cache'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import type { Database } from '@latchkey/db'
import { permissionTarget } from '@latchkey/permission'
import { jsonClient, queryDatabase, startTestApp, type JsonClient, type TestApp } from '@latchkey/testing'
import { applyPlan } from '../../../scripts/seed/apply.ts'
import { applyBusinessPlan, buildBusinessPlan, type BusinessPlan } from '../../../scripts/seed/business.ts'
import { buildPlan, type SeedPlan } from '../../../scripts/seed/plan.ts'
import { taskWorkerTarget } from '../src/index.ts'
import { enqueue, testEnv, waitForStatus, type TaskBody } from './helpers.ts'

type Teardown = { teardown(fn: () => unknown): void }

export interface BusinessPlatform {
  app: TestApp
  client: JsonClient
  databaseUrl: string
  /** The business functions on the process's own database and cache (what the example application uses). */
  deps: BusinessDeps
  cache: TieredCache
  redisPrefix: string
  storageDir: string
  mailDir: string
  plan: SeedPlan
  business: BusinessPlan
  /** Organization id by slug. */
  orgIds: Map<string, string>
}

/** A day in the middle of a month, so that "this month" holds won deals and the test never straddles a month. */
export const seedNow = (): Date => {
  const today = new Date()
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), Math.min(today.getUTCDate(), 28)))
}

/**
 * The platform seeded by the data generator (3 organizations, 40 users, 12 deals and 2 files per
 * organization). `env` adds variables (SMTP_URL, ...).
 */
export async function startBusinessPlatform(t: Teardown, env: Record<string, string> = {}): Promise<BusinessPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-business-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const storageDir = join(dataDir, 'files')
  const mailDir = join(dataDir, 'mail')
  const app = await startTestApp(t, {
    registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget, 'task-worker': taskWorkerTarget },
    env: { ...testEnv, FILE_STORAGE_DIR: storageDir, MAIL_DIR: mailDir, ...env },
  })
  const plan = buildPlan({ orgs: 3, roles: 9, permissions: 40, users: 40, seed: 11, now: seedNow() })
  await applyPlan(plan, { url: app.url, concurrency: 8 })
  const db = (app.app as unknown as { db: Database }).db
  const cache = (app.app as unknown as { cache: TieredCache }).cache
  const business = buildBusinessPlan(plan, { dealsPerOrg: 12, filesPerOrg: 2 })
  await applyBusinessPlan(business, { db, fileStorageDir: storageDir })
  const databaseUrl = app.config.DATABASE_URL
  const orgIds = new Map((await queryDatabase<{ id: string; slug: string }>(databaseUrl, 'SELECT id, slug FROM organizations')).map((o) => [o.slug, o.id]))
  return {
    app,
    client: jsonClient(app.url),
    databaseUrl,
    deps: { db, cache, types: businessCacheTypes() },
    cache,
    redisPrefix: app.config.REDIS_KEY_PREFIX,
    storageDir,
    mailDir,
    plan,
    business,
    orgIds,
  }
}

/** Enqueues a task over HTTP and waits until it has succeeded or is dead. */
export async function runTask(platform: BusinessPlatform, body: { queue: string; type: string; payload?: unknown }): Promise<TaskBody> {
  const { id } = await enqueue(platform.client, body)
  return waitForStatus(platform.client, id, ['succeeded', 'dead'], 30_000)
}

export const orgRevisions = async (databaseUrl: string): Promise<Record<string, string>> =>
  Object.fromEntries((await queryDatabase<{ id: string; revision: string }>(databaseUrl, 'SELECT id, revision::text FROM organizations ORDER BY id')).map((o) => [o.id, o.revision]))
