import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'
import { BusinessProcessConfigSchema } from './business-config.ts'

const Concurrency = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description }))

/** The task worker's own variables (the shared ones are the program's). */
export const TaskWorkerConfigSchema = Type.Object({
  TASK_QUEUES: Type.String({
    default: 'all',
    pattern: '^(all|none|((workflow|auth|file_processing|business_processes|system)(,(workflow|auth|file_processing|business_processes|system))*))$',
    description: 'Queues this process works on: all, none (API only), or a comma list',
  }),
  TASK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16, description: 'Tasks run at once per queue (each queue has its own slots)' }),
  TASK_CONCURRENCY_WORKFLOW: Concurrency('Overrides TASK_CONCURRENCY for the workflow queue'),
  TASK_CONCURRENCY_AUTH: Concurrency('Overrides TASK_CONCURRENCY for the auth queue'),
  TASK_CONCURRENCY_FILE_PROCESSING: Concurrency('Overrides TASK_CONCURRENCY for the file_processing queue'),
  TASK_CONCURRENCY_BUSINESS_PROCESSES: Concurrency('Overrides TASK_CONCURRENCY for the business_processes queue'),
  TASK_CONCURRENCY_SYSTEM: Concurrency('Overrides TASK_CONCURRENCY for the system queue'),
  TASK_PREFETCH: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'Messages fetched ahead per lane (default: 4 × the queue\'s concurrency, 32 to 1024)' })),
  TASK_PRIORITY_WEIGHTS: Type.String({
    default: '6,3,1',
    pattern: '^[1-9][0-9]{0,2},[1-9][0-9]{0,2},[1-9][0-9]{0,2}$',
    description: 'Share of the slots high, medium and low get when all three lanes have work (weighted round robin)',
  }),
  TASK_ACK_WAIT: Duration('30s', 'A task whose worker stops answering is redelivered after this (running tasks extend it)'),
  TASK_MAX_ACK_PENDING: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 20_000, description: 'Per lane: tasks running or waiting for their retry at once, over all replicas' }),
  TASK_MAX_PAYLOAD_BYTES: Type.Integer({ minimum: 1, maximum: 16_777_216, default: 262_144, description: 'Largest task payload (its JSON)' }),
  TASK_STATUS_FLUSH: Duration('20ms', 'Longest wait of a status change before its batch is written'),
  TASK_DISPATCH_INTERVAL: Duration('100ms', 'How often delayed and redriven tasks that are due are published'),
  TASK_DEFAULT_TIMEOUT: Duration('15m', 'An attempt running longer fails (a task type may set its own)'),
  TASK_RETENTION: Duration('7d', 'Succeeded and cancelled tasks are deleted this long after they finished (dead ones stay)'),
  TASK_DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 50, default: 4, description: 'PostgreSQL connections of the task store' }),
  ...BusinessProcessConfigSchema.properties,
})

export type TaskWorkerConfig = Static<typeof TaskWorkerConfigSchema>
