import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { uniqueNamespace } from './test-namespace.ts'
import { removeRedisKeys, uniquePrefix } from './test-redis.ts'

const entry = fileURLToPath(new URL('../../../cmd/latchkey/src/main.ts', import.meta.url))

export interface ProgramProcess {
  child: ChildProcess
  /** Base URL of its HTTP server (once started). */
  url: string
  /** Every line it wrote to stdout and stderr, in order. */
  output: string[]
  /** Resolves with the exit code (or the signal's name) when it ends. */
  exited: Promise<number | string>
}

/**
 * Starts the real program (`node --import tsx cmd/latchkey/src/main.ts`) with `env` on top of
 * this process's environment. Resolves once it logged "latchkey started", or rejects with its
 * output when it exits first. It is killed when the test ends.
 */
export async function spawnProgram(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  options: { waitForStart?: boolean; timeoutMs?: number } = {},
): Promise<ProgramProcess> {
  // A Redis prefix and a NATS namespace of its own unless the test shares them between processes on purpose.
  const redisPrefix = env.REDIS_KEY_PREFIX ?? uniquePrefix()
  const natsNamespace = env.NATS_NAMESPACE ?? uniqueNamespace(t, env.NATS_URL)
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_KEY_PREFIX: redisPrefix, NATS_NAMESPACE: natsNamespace, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    if (env.REDIS_KEY_PREFIX === undefined) await removeRedisKeys(env.REDIS_URL ?? 'redis://127.0.0.1:6379', redisPrefix)
  })
  let started: (url: string) => void = () => {}
  const startedPromise = new Promise<string>((resolve) => (started = resolve))
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line)
      if (line.includes('"latchkey started"')) {
        const port = (JSON.parse(line) as { port: number }).port
        started(`http://127.0.0.1:${port}`)
      }
    })
  }
  const process_: ProgramProcess = { child, url: '', output, exited }
  if (options.waitForStart === false) return process_
  const timeoutMs = options.timeoutMs ?? 30_000
  const result = await Promise.race([
    startedPromise,
    exited.then((code) => new Error(`the program exited (${code}) before it started:\n${output.join('\n')}`)),
    new Promise<Error>((resolve) => setTimeout(() => resolve(new Error(`not started within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs).unref()),
  ])
  if (result instanceof Error) throw result
  process_.url = result
  return process_
}
