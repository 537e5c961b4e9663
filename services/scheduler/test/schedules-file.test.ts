// The schedules file: the ten built-ins as shipped, and a file that is wrong stopping the start.
import t from 'tap'
import { TaskRegistry, loadHandlerModules } from '@latchkey/task-worker'
import { BUILT_IN_SCHEDULES_FILE, loadScheduleFile, ScheduleFileError } from '../src/index.ts'
import { uniqueNamespace } from '@latchkey/testing'
import { scheduleFile, spawnScheduler, testDatabase } from './helpers.ts'

const catalog = new TaskRegistry()
await loadHandlerModules(catalog)
const task = { catalog, maxPayloadBytes: 262_144 }

t.test('the built-in file holds the ten schedules, and this build runs every one of their task types', async (t) => {
  const loaded = loadScheduleFile(BUILT_IN_SCHEDULES_FILE, task)
  const all = [...loaded.schedules, ...loaded.unknownTypes]
  t.same(
    Object.fromEntries(all.map((s) => [s.name, `${s.cron} ${s.queue} ${s.type}`])),
    {
      'automated-workflow-maintenance': '0 * * * * workflow workflow.deal_automation',
      'check-password-expiration': '0 2 * * * auth auth.password_expiration_check',
      'deal-verification-reminders': '0 9 * * * business_processes business.deal_verification_reminders',
      'automated-commission-calculation': '0 */6 * * * business_processes business.commission_calculation',
      'system-health-check': '*/5 * * * * system system.health_check',
      'cache-warming': '*/15 * * * * system system.cache_warm',
      'cache-consistency-audit': '20 * * * * system system.cache_consistency_audit',
      'task-retention': '*/10 * * * * system system.task_retention',
      'alert-history-rollup': '5 * * * * system system.alert_rollup',
      'dead-letter-digest': '0 7 * * * system system.dead_letter_digest',
    },
  )
  t.same(loaded.unknownTypes.map((s) => s.type), [], 'none is set aside: a handler registers each type')
  t.equal(loaded.schedules.length, 10)
  for (const schedule of loaded.schedules) t.ok(catalog.get(schedule.type)?.queues?.includes(schedule.queue) ?? true, `${schedule.type} may run on ${schedule.queue}`)
})

t.test('a file that is wrong is refused, naming the file, the schedule and the problem', async (t) => {
  const echo = { cron: '0 * * * *', queue: 'system', type: 'system.echo' }
  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{', /SCHEDULES_FILE .*JSON/],
    ['another version', { version: 2, schedules: [] }, /version/],
    ['a duplicate name', { version: 1, schedules: [{ name: 'a', ...echo }, { name: 'a', ...echo }] }, /schedule a appears twice/],
    ['an invalid cron expression', { version: 1, schedules: [{ name: 'a', ...echo, cron: '0 25 * * *' }] }, /schedule a: Invalid cron expression "0 25 \* \* \*": hour/],
    ['an unknown time zone', { version: 1, schedules: [{ name: 'a', ...echo, timezone: 'Moon/Tranquility' }] }, /schedule a: Unknown time zone/],
    ['an unknown queue', { version: 1, schedules: [{ name: 'a', ...echo, queue: 'mail' }] }, /\/schedules\/0\/queue/],
    ['a type on a queue it may not run on', { version: 1, schedules: [{ name: 'a', ...echo, type: 'system.task_retention', queue: 'auth' }] }, /schedule a: Task type system.task_retention does not run on queue auth/],
  ]
  for (const [what, content, message] of cases) {
    const path = typeof content === 'string' ? scheduleFile([]).replace(/schedules\.json$/, 'broken.json') : scheduleFile([])
    const { writeFileSync } = await import('node:fs')
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    t.throws(() => loadScheduleFile(path, task), { name: 'ScheduleFileError', message }, what)
  }
  t.ok(new ScheduleFileError('x') instanceof Error)
})

t.test('the program does not start with a schedules file that is wrong: exit 1, one line naming the problem', async (t) => {
  const file = scheduleFile([{ name: 'bad', cron: 'every minute', queue: 'system', type: 'system.echo' }])
  const program = await spawnScheduler(t, { DATABASE_URL: await testDatabase(t), NATS_NAMESPACE: uniqueNamespace(t), SCHEDULES_FILE: file }, { waitForStart: false })
  t.equal(await program.exited, 1)
  const fatal = program.output.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((entry) => entry.level === 'fatal')
  t.equal(fatal.length, 1)
  t.match(fatal[0]!.msg, /^SCHEDULES_FILE .*schedule bad: Invalid cron expression "every minute": expected 5 fields/)
})
