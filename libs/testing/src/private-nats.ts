import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './private-redis.ts'

export interface PrivateNats {
  url: string
  port: number
  /** Kills the server (SIGKILL: a crash); `start` brings it back on the same port and store. */
  kill(): Promise<void>
  /**
   * Stops the server as an operator's restart does (SIGTERM: it closes its connections and
   * writes its JetStream state, which a SIGKILL may leave behind by a few deliveries).
   */
  stop(): Promise<void>
  start(): Promise<void>
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => (socket.end(), resolve(true)))
    socket.on('error', () => resolve(false))
  })

/**
 * A `nats-server -js` of the test's own on a random port with its own store, so that outage tests
 * never disturb the machine's shared NATS. Killed and its store removed when the test ends.
 * `maxPayload` lowers the largest message the server accepts (1 MiB by default).
 */
export async function startPrivateNats(t: { teardown(fn: () => unknown): void }, options: { maxPayload?: number } = {}): Promise<PrivateNats> {
  const port = await freePort()
  const storeDir = mkdtempSync(join(tmpdir(), 'latchkey-nats-'))
  const configFile = join(storeDir, 'nats.conf')
  writeFileSync(configFile, options.maxPayload === undefined ? '' : `max_payload: ${options.maxPayload}\n`)
  let child: ChildProcess | undefined
  const end = (signal: NodeJS.Signals) => async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill(signal)
    await exited
  }
  const kill = end('SIGKILL')
  const start = async () => {
    child = spawn('nats-server', ['-c', configFile, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' })
    for (let waited = 0; !(await answers(port)); waited += 50) {
      if (waited > 10_000) throw new Error(`nats-server did not start on port ${port}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  t.teardown(async () => {
    await kill()
    rmSync(storeDir, { recursive: true, force: true })
  })
  await start()
  return { url: `nats://127.0.0.1:${port}`, port, kill, stop: end('SIGTERM'), start }
}
