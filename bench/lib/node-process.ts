// Starts a Node program (TypeScript through tsx) as a child process, so that it never shares an
// event loop with the load generator, and waits until it answers HTTP.
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface NodeProcess {
  name: string
  pid: number
  /** Base URL of its HTTP server, e.g. http://127.0.0.1:40123 */
  url: string
  child: ChildProcess
  /** The last lines it wrote to stdout and stderr. */
  output(): string
  /** Resolves with the exit code (or the signal's name) when it ends. */
  exited: Promise<number | string>
  /** SIGTERM (a graceful stop, which also writes a --cpu-prof profile); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>
}

export interface StartOptions {
  name: string
  /** Script path, relative to the repository root or absolute. */
  entry: string
  env: Record<string, string>
  /** Extra node flags, e.g. ['--cpu-prof']. */
  nodeArgs?: string[]
  /** The port it was told to listen on (127.0.0.1). */
  port: number
  /** Polled until it answers 200 (default /healthz). */
  readyPath?: string
  readyTimeoutMs?: number
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

function answers(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1_000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
    req.end()
  })
}

export async function startNodeProcess(options: StartOptions): Promise<NodeProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  const lines: string[] = []
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (lines.length > 200) lines.splice(0, lines.length - 200)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(code ?? signal ?? -1)
    }),
  )
  const url = `http://127.0.0.1:${options.port}`
  const output = () => lines.join('\n')
  const stop = async (graceMs = 20_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    const code = await exited
    clearTimeout(timer)
    return code
  }

  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000)
  let gone: number | string | undefined
  void exited.then((code) => (gone = code))
  for (;;) {
    if (gone !== undefined) throw new Error(`${options.name} exited (${gone}) before it was ready:\n${output()}`)
    if ((await answers(url + (options.readyPath ?? '/healthz'))) === 200) break
    if (performance.now() > deadline) {
      await stop(1_000)
      throw new Error(`${options.name} was not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { name: options.name, pid: child.pid!, url, child, output, exited, stop }
}
