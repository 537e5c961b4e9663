// The real program (cmd/latchkey/src/main.ts) as a child process, on ports of its own.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { freePort } from './free-port.ts'
import { startNodeProcess, type NodeProcess } from './node-process.ts'

export interface LatchkeyOptions {
  name: string
  databaseUrl: string
  /** Redis key prefix; a fresh one by default, so that runs never see each other's entries. */
  redisPrefix?: string
  /** Extra variables (CACHE_L1_ENABLED=false, TARGET, ...). */
  env?: Record<string, string>
  /** Write CPU profiles (node --cpu-prof) into `<cpuProfileDir>/<name>/` when the process stops. */
  cpuProfileDir?: string
}

export const benchRedisPrefix = (): string => `lkbench:${randomBytes(4).toString('hex')}:`

/** Starts Latchkey and resolves once GET /readyz answers 200 (PostgreSQL and NATS reachable). */
export async function startLatchkey(options: LatchkeyOptions): Promise<NodeProcess & { redisPrefix: string; profileDir?: string }> {
  const port = await freePort()
  const redisPrefix = options.redisPrefix ?? benchRedisPrefix()
  const profileDir = options.cpuProfileDir ? join(options.cpuProfileDir, options.name) : undefined
  const started = await startNodeProcess({
    name: options.name,
    entry: 'cmd/latchkey/src/main.ts',
    port,
    readyPath: '/readyz',
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    env: {
      PORT: String(port),
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      REDIS_KEY_PREFIX: redisPrefix,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  })
  return { ...started, redisPrefix, ...(profileDir ? { profileDir } : {}) }
}
