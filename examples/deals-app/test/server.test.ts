// The example application as its README starts it (`npm run example` runs src/server.ts): a bad
// variable stops it with exit 2 naming the variable; beside a running platform it starts, reports
// ready, and on SIGTERM closes everything and exits 0.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { permissionTarget } from '@latchkey/permission'
import { freePort, startTestApp } from '@latchkey/testing'
import t from 'tap'

const entry = fileURLToPath(new URL('../src/server.ts', import.meta.url))

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => output.push(line))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return { child, output, exited }
}

t.test('a bad variable: exit 2, naming it', async (t) => {
  const server = startServer({ PERMISSION_GRPC_ADDRESS: 'no port here' })
  t.equal(await server.exited, 2)
  t.match(server.output.join('\n'), /PERMISSION_GRPC_ADDRESS="no port here"/)
})

t.test('beside the platform: starts, is ready, and stops cleanly on SIGTERM', async (t) => {
  const platform = await startTestApp(t, { registry: { permission: permissionTarget } })
  const port = await freePort()
  const server = startServer({
    PORT: String(port),
    PERMISSION_GRPC_ADDRESS: `127.0.0.1:${(platform.app as unknown as { grpcPort: number }).grpcPort}`,
    DATABASE_URL: platform.config.DATABASE_URL,
    REDIS_KEY_PREFIX: platform.config.REDIS_KEY_PREFIX,
    NATS_NAMESPACE: platform.config.NATS_NAMESPACE,
  })
  for (let waited = 0; !server.output.some((line) => line.includes('"deals-app started"')); waited += 50) {
    if (waited > 60_000 || server.child.exitCode !== null) throw new Error(`did not start:\n${server.output.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), { checks: { postgresql: { state: 'up' }, nats: { state: 'up' }, redis: { state: 'up' } } })
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'exit 0')
  t.ok(server.output.some((line) => line.includes('"stopped"')), 'after closing everything')
})
