import { createHash } from 'node:crypto'
import { readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { dashboard } from '@latchkey/business'
import { Redis } from 'ioredis'
import t from 'tap'
import { orgRevisions, runTask, startBusinessPlatform } from './business-helpers.ts'
import { queryDatabase, waitFor } from '@latchkey/testing'

t.test('files.process records size, SHA-256, MIME type and CSV row count of the generated files, once, and refreshes the dashboard', async (t) => {
  const platform = await startBusinessPlatform(t)
  const { databaseUrl, deps } = platform
  const files = await queryDatabase<{ id: string; org_id: string; path: string }>(databaseUrl, `SELECT id, org_id, path FROM uploaded_files WHERE status = 'pending' ORDER BY path`)
  t.equal(files.length, platform.business.files.length, 'the data generator registered its files as pending')
  const orgId = files[0]!.org_id
  const before = await dashboard(deps, orgId)
  t.equal(before.value.files.pending, 2, 'the cached dashboard shows 2 pending files')

  for (const file of files) {
    const task = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { fileId: file.id } })
    t.equal(task.status, 'succeeded', `${file.path}: ${task.error ?? 'processed'}`)
    const planned = platform.business.files.find((f) => f.path === file.path)!
    const [row] = await queryDatabase(databaseUrl, 'SELECT size_bytes::int, checksum_sha256, mime_type, row_count, status, processed_at FROM uploaded_files WHERE id = $1', [file.id])
    const content = await readFile(join(platform.storageDir, file.path))
    t.match(row, {
      size_bytes: content.length,
      checksum_sha256: createHash('sha256').update(content).digest('hex'),
      mime_type: file.path.endsWith('.csv') ? 'text/csv' : 'text/plain',
      row_count: planned.rowCount,
      status: 'processed',
    }, `${file.path}: its figures`)
  }
  const refreshed = await waitFor('the dashboard to show the processed files', async () => {
    const current = await dashboard(deps, orgId)
    return current.value.files.processed === 2 ? current : undefined
  })
  t.ok(refreshed.revision > before.revision, 'the cached dashboard was invalidated and read again at the new revision')
  t.equal(refreshed.value.files.rows, platform.business.files.filter((f) => f.org === platform.business.files.find((p) => p.path === files[0]!.path)!.org).reduce((n, f) => n + (f.rowCount ?? 0), 0), 'it counts the CSV rows')

  const revisions = await orgRevisions(databaseUrl)
  const again = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { fileId: files[0]!.id } })
  t.match(again.result, { changed: false }, 'processing a file again changes nothing')
  t.same(await orgRevisions(databaseUrl), revisions, 'no revision, no event')

  // A new file named by organization and path is registered and processed.
  const slug = platform.plan.orgs[0]!.slug
  await writeFile(join(platform.storageDir, slug, 'upload.json'), '{"a":1}\n')
  const byPath = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { org: slug, path: `${slug}/upload.json` } })
  t.match(byPath.result, { status: 'processed', mimeType: 'application/json', sizeBytes: 8, rowCount: null, changed: true })
})

t.test('files.process refuses paths outside the storage directory and records a missing file as failed', async (t) => {
  const platform = await startBusinessPlatform(t)
  const slug = platform.plan.orgs[0]!.slug
  for (const path of ['../../etc/passwd', '/etc/passwd', `${slug}/../../secret.csv`]) {
    const task = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { org: slug, path } })
    t.equal(task.status, 'dead', `${path}: dead`)
    t.match(task.error, /^files\.process: file path .* is outside the storage directory$/, `${path}: says why`)
    t.equal(task.attempts, 1, 'without retries')
  }
  await symlink('/etc', join(platform.storageDir, slug, 'escape'))
  const viaLink = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { org: slug, path: `${slug}/escape/hostname` } })
  t.match(viaLink.error, /leads outside the storage directory/, 'a symbolic link out of the directory is refused')
  t.equal((await queryDatabase(platform.databaseUrl, `SELECT count(*)::int AS n FROM uploaded_files WHERE path LIKE '%..%' OR path LIKE '/%' OR path LIKE '%escape%'`))[0].n, 0, 'and nothing was registered')

  const missing = await runTask(platform, { queue: 'file_processing', type: 'files.process', payload: { org: slug, path: `${slug}/never-uploaded.csv` } })
  t.equal(missing.status, 'dead')
  t.match(missing.error, 'not found in the storage directory')
  const [row] = await queryDatabase(platform.databaseUrl, 'SELECT status, error FROM uploaded_files WHERE path = $1', [`${slug}/never-uploaded.csv`])
  t.match(row, { status: 'failed', error: /not found/ }, 'the file is recorded as failed (the dashboard counts it)')
})

t.test('system.health_check records that PostgreSQL, Redis and NATS answer; system.cache_warm fills the business caches', async (t) => {
  const platform = await startBusinessPlatform(t)
  const health = await runTask(platform, { queue: 'system', type: 'system.health_check' })
  t.equal(health.status, 'succeeded', health.error ?? '')
  t.match(health.result, { healthy: true, components: { postgresql: { ok: true }, redis: { ok: true }, nats: { ok: true } } })
  const rows = await queryDatabase(platform.databaseUrl, 'SELECT healthy, components FROM health_checks WHERE task_id = $1', [health.id])
  t.equal(rows.length, 1, 'one row for the run')
  t.equal(rows[0].healthy, true)

  const redis = new Redis(platform.app.config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const keys = async (type: string) => (await redis.keys(`${platform.redisPrefix}${type}:*`)).length
  t.equal(await keys('dashboard'), 0, 'no dashboard cached yet')
  const warm = await runTask(platform, { queue: 'system', type: 'system.cache_warm', payload: { within: '5m' } })
  t.equal(warm.status, 'succeeded', warm.error ?? '')
  t.match(warm.result, { l1WarmRequested: true, withinMs: 300_000, business: { organizations: 3, entries: 6 } })
  t.equal(await keys('dashboard'), 3, 'every organization with deals has its dashboard in Redis')
  t.equal(await keys('deal_stats'), 3, 'and its deal statistics')
})

t.test('a bad payload kills the task at once with a readable error, and changes nothing', async (t) => {
  const platform = await startBusinessPlatform(t)
  const revisions = await orgRevisions(platform.databaseUrl)
  const cases: [string, string, unknown, RegExp][] = [
    ['workflow', 'workflow.deal_automation', { org: 42 }, /^workflow\.deal_automation: payload\/org /],
    ['workflow', 'workflow.deal_automation', { org: 'no-such-org' }, /^workflow\.deal_automation: Organization no-such-org does not exist$/],
    ['business_processes', 'business.commission_calculation', { period: '2026-13' }, /^business\.commission_calculation: payload\/period /],
    ['business_processes', 'business.deal_verification_reminders', { olderThan: 'soon' }, /^business\.deal_verification_reminders: payload\/olderThan /],
    ['auth', 'auth.password_expiration_check', { everyone: true }, /^auth\.password_expiration_check: payload\/everyone is not allowed$/],
    ['file_processing', 'files.process', { fileId: 'not-a-uuid' }, /^files\.process: payload/],
    ['file_processing', 'files.process', { fileId: '00000000-0000-4000-8000-000000000000' }, /^files\.process: uploaded file .* does not exist$/],
    ['business_processes', 'notifications.email', {}, /^notifications\.email: payload/],
    ['business_processes', 'notifications.email', { notificationId: '00000000-0000-4000-8000-000000000000' }, /^notifications\.email: notification .* does not exist$/],
    ['system', 'system.cache_warm', { within: 'forever' }, /^system\.cache_warm: payload\/within /],
    ['system', 'system.health_check', [1, 2], /^system\.health_check: payload /],
  ]
  for (const [queue, type, payload, error] of cases) {
    const task = await runTask(platform, { queue, type, payload })
    t.equal(task.status, 'dead', `${type} ${JSON.stringify(payload)}: dead`)
    t.match(task.error, error, `${type}: ${task.error}`)
    t.equal(task.attempts, 1, 'at once, without retries')
  }
  t.same(await orgRevisions(platform.databaseUrl), revisions, 'no organization changed')
  t.equal((await queryDatabase(platform.databaseUrl, 'SELECT count(*)::int AS n FROM notifications'))[0].n, 0, 'no notification was recorded')
})
