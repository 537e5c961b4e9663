import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface PrivateRedis {
  url: string
  /** SIGSTOP: the server stops answering but keeps its connections and data (a stall). */
  pause(): void
  resume(): void
  stop(): Promise<void>
}

/**
 * A `redis-server` of the test's own on a random port, so that outage tests never disturb the
 * machine's shared Redis. Killed when the test ends.
 */
export async function startPrivateRedis(t: { teardown(fn: () => unknown): void }): Promise<PrivateRedis> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGCONT')
    child.kill('SIGKILL')
    await exited
  }
  t.teardown(stop)
  const url = `redis://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.quit()
      break
    } catch (err) {
      probe.disconnect()
      if (attempt > 100) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { url, pause: () => child.kill('SIGSTOP'), resume: () => child.kill('SIGCONT'), stop }
}
