import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The variables every process reads, whatever its targets (see ../../shared/CONTRACT.md). */
export const ProgramConfigSchema = Type.Object({
  TARGET: Type.String({ default: 'all', description: 'all, or a comma list of services' }),
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port; 0 picks a free one' }),
  DATABASE_URL: Type.String({ default: 'postgresql://postgres@127.0.0.1:5432/latchkey' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  MIGRATE_ON_START: Type.Boolean({ default: true, description: 'Apply pending migrations at start (the Helm chart runs a Job instead)' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_NAMESPACE: Type.String({
    default: 'latchkey',
    pattern: '^[A-Za-z0-9_-]{1,32}$',
    description: 'Prefix of every NATS subject and stream, so installations (or tests) can share a server',
  }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  LOG_REQUESTS: Type.Boolean({ default: false, description: 'Log every HTTP request' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest request body in bytes' }),
  SHUTDOWN_GRACE: Duration('25s', 'Time allowed to finish in-flight work after SIGTERM'),
  HTTP_SLOW_REQUEST_THRESHOLD: Duration('2s', 'Requests taking at least this long count as slow (latchkey_http_slow_requests_total)'),
  DB_SLOW_QUERY_THRESHOLD: Duration('1s', 'Database queries taking at least this long count as slow (latchkey_db_slow_queries_total)'),
  OTEL_SERVICE_NAME: Type.Optional(Type.String()),
})

export type ProgramConfig = Static<typeof ProgramConfigSchema>
