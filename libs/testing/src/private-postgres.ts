import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './private-redis.ts'

const run = promisify(execFile)
const bin = (name: string) => join(process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin', name)

export interface PrivatePostgres {
  /** URL of a database `latchkey` on this server (not created: the program creates it). */
  url: string
  /** Stops the server at once (connections break, new ones are refused). */
  stop(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
}

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, a random port), so that an
 * outage test can break the database without disturbing the machine's shared server. PostgreSQL
 * refuses to run as root, so when the tests run as root it runs as the `postgres` user.
 */
export async function startPrivatePostgres(t: { teardown(fn: () => unknown): void }): Promise<PrivatePostgres> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'))
  const asRoot = process.getuid?.() === 0
  const user = asRoot ? (await run('id', ['-u', 'postgres'])).stdout.trim() : undefined
  if (asRoot) chownSync(dir, Number(user), Number((await run('id', ['-g', 'postgres'])).stdout.trim()))
  const command = (file: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]) as [string, string[]]
  const data = join(dir, 'data')
  await run(...command(bin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']))

  let server: ChildProcess | undefined
  const start = async () => {
    const [file, args] = command(bin('postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'])
    server = spawn(file, args, { stdio: 'ignore' })
    for (let waited = 0; ; waited += 100) {
      const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` })
      try {
        await client.connect()
        await client.end()
        return
      } catch (err) {
        if (waited > 15_000) throw err
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }
  const stop = async () => {
    const running = server
    server = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    // SIGQUIT: immediate shutdown, every connection dropped (what a crash looks like to clients).
    if (asRoot) await run('pkill', ['-QUIT', '-f', `postgres -D ${data}`]).catch(() => running.kill('SIGQUIT'))
    else running.kill('SIGQUIT')
    await exited
  }
  t.teardown(async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  await start()
  return { url: `postgresql://postgres@127.0.0.1:${port}/latchkey`, stop, start }
}
