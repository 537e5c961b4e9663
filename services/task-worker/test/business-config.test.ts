import { join } from 'node:path'
import { loadProgramConfig } from '@latchkey/runtime'
import t from 'tap'
import { businessSettings, type BusinessProcessConfig } from '../src/business-config.ts'
import { taskWorkerTarget } from '../src/index.ts'

const registry = { 'task-worker': taskWorkerTarget }

t.test('the business variables default under DATA_DIR and are validated at start, naming the bad one', async (t) => {
  const defaults = businessSettings(loadProgramConfig(registry, { DATA_DIR: '/var/lib/latchkey' }).config as unknown as BusinessProcessConfig)
  t.match(defaults, {
    fileStorageDir: join('/var/lib/latchkey', 'files'),
    mailDir: join('/var/lib/latchkey', 'mail'),
    smtpUrl: undefined,
    passwordMaxAgeMs: 90 * 86_400_000,
    verificationReminderAfterMs: 2 * 86_400_000,
    ttl: { dealStatsMs: 15 * 60_000, dashboardMs: 10 * 60_000 },
  })
  const placed = businessSettings(
    loadProgramConfig(registry, { FILE_STORAGE_DIR: '/srv/files', MAIL_DIR: '/srv/mail', SMTP_URL: 'smtps://u:p@mail.example.com:465', PASSWORD_MAX_AGE: '30d' })
      .config as unknown as BusinessProcessConfig,
  )
  t.match(placed, { fileStorageDir: '/srv/files', mailDir: '/srv/mail', smtpUrl: 'smtps://u:p@mail.example.com:465', passwordMaxAgeMs: 30 * 86_400_000 })

  t.throws(() => loadProgramConfig(registry, { SMTP_URL: 'mail.example.com' }), /SMTP_URL/)
  t.throws(() => loadProgramConfig(registry, { PASSWORD_MAX_AGE: 'ninety days' }), /PASSWORD_MAX_AGE/)
  t.throws(() => loadProgramConfig(registry, { CACHE_TTL_DASHBOARD: '10 minutes' }), /CACHE_TTL_DASHBOARD/)
})
