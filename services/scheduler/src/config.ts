import { fileURLToPath } from 'node:url'
import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The built-in schedules shipped with the service (services/scheduler/schedules.json). */
export const BUILT_IN_SCHEDULES_FILE = fileURLToPath(new URL('../schedules.json', import.meta.url))

/** The scheduler's own variables (the shared ones are the program's). */
export const SchedulerConfigSchema = Type.Object({
  SCHEDULES_FILE: Type.String({
    default: BUILT_IN_SCHEDULES_FILE,
    description: 'The versioned schedules file whose schedules are added at start unless stored already; "none": no built-ins',
  }),
  SCHEDULER_LEASE: Duration('5s', 'The leader lease: a leader that stops renewing it is replaced after this'),
  SCHEDULER_LEASE_RENEW: Duration('1s', 'How often the leader renews its lease and the other replicas try to take it'),
  SCHEDULER_CATCH_UP_WINDOW: Duration('1m', 'Ticks missed for at most this long (a failover) are fired late; older ones follow the missed-tick policy'),
  SCHEDULER_POLL: Duration('1s', 'How often the leader reads the schedules again (changes made on other replicas take effect within this)'),
  SCHEDULER_RUN_RETENTION: Duration('30d', 'Runs older than this leave the history'),
})

export type SchedulerConfig = Static<typeof SchedulerConfigSchema>
