import { CacheConfigSchema } from '@latchkey/cache'
import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The example application's variables: its own port, and where the platform's servers and permission service are. */
export const DealsAppConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port of the example application; 0 picks a free one' }),
  PERMISSION_GRPC_ADDRESS: Type.String({ default: '127.0.0.1:50051', pattern: '^[^\\s:]+:[0-9]{1,5}$', description: 'host:port of the permission service’s gRPC server' }),
  PERMISSION_DEADLINE: Duration('2s', 'Longest wait for a permission check; then the request fails with 503'),
  DATABASE_URL: Type.String({ default: 'postgresql://postgres@127.0.0.1:5432/latchkey', description: 'The platform’s database (deals live beside the organizations)' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 5 }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_NAMESPACE: Type.String({ default: 'latchkey', pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'The platform’s NATS_NAMESPACE' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  SHUTDOWN_GRACE: Duration('10s', 'Time allowed to finish in-flight requests after SIGTERM'),
  ...CacheConfigSchema.properties,
})

export type DealsAppConfig = Static<typeof DealsAppConfigSchema>
