import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { containerEnvironment, containerPort, type Container, type PodSpec } from './container-environment.ts'
import { sandboxed } from './pod-sandbox.ts'
import type { KubeObject } from './render-chart.ts'

/** The image's working directory (deploy/Dockerfile's WORKDIR), which is the repository here. */
export const imageWorkdir = '/app'
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface LocalContainer {
  /** Every line it wrote, in order. */
  output: string[]
  /** Resolves with the exit code (or the signal's name) when it ends. */
  exited: Promise<number | string>
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

export interface StartOptions {
  /** The directory standing for the image's /app: this repository unless given. */
  imageRoot?: string
  /** The node binary that runs `node` (this process's unless given). */
  node?: string
  /** A volume's mount path → a local directory holding its files, for arguments that name them. */
  mounts?: Record<string, string>
  /**
   * The container's pod: run it under the pod's and the container's security context (user,
   * group, read-only root filesystem, no privilege escalation, no capabilities) with a fresh
   * tmpfs for each of its emptyDir mounts. See pod-sandbox.ts.
   */
  pod?: PodSpec
}

/**
 * Runs a container as a local process: its command and arguments, its working directory (the
 * image's /app), and exactly the environment the kubelet would give it from the rendered
 * objects (nothing of this process's own but PATH). It is killed when the test ends.
 */
export function startContainer(t: { teardown(fn: () => unknown): void }, container: Container, objects: KubeObject[], options: StartOptions = {}): LocalContainer {
  const local = (arg: string) =>
    Object.entries(options.mounts ?? {}).reduce((path, [mountPath, dir]) => (path.startsWith(`${mountPath}/`) ? `${dir}${path.slice(mountPath.length)}` : path), arg)
  const [program, ...rest] = [...(container.command ?? []), ...(container.args ?? [])].map(local)
  if (program !== 'node') throw new Error(`container ${container.name} runs ${program}; only node runs here`)
  if ((container.workingDir ?? imageWorkdir) !== imageWorkdir) throw new Error(`container ${container.name} works in ${container.workingDir}, not the image's ${imageWorkdir}`)
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...containerEnvironment(container, objects) }
  let commandLine = [options.node ?? process.execPath, ...rest]
  if (options.pod) {
    const emptyDirs = new Set(options.pod.volumes?.filter((volume) => volume.emptyDir).map((volume) => volume.name))
    const emptyDirPaths = (container.volumeMounts ?? []).filter((mount) => emptyDirs.has(mount.name)).map((mount) => mount.mountPath)
    const sandbox = sandboxed(commandLine, options.pod.securityContext ?? {}, container.securityContext ?? {}, emptyDirPaths, repositoryRoot)
    commandLine = sandbox.command
    Object.assign(env, sandbox.env)
  }
  // Through `env -i`: a test runner that adds variables to every child it spawns (tap adds
  // NODE_OPTIONS) cannot reach the program; it gets this environment and nothing else.
  const variables = Object.entries(env).map(([name, value]) => `${name}=${value}`)
  const child = spawn('env', ['-i', ...variables, ...commandLine], { cwd: options.imageRoot ?? repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => output.push(line))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }
  t.teardown(() => stop())
  return { output, exited, stop }
}

/**
 * Polls the container's readiness probe the way the kubelet does (HTTP GET on the port it names)
 * until it answers 200, for as long as its startup probe allows (period × failure threshold, the
 * kubelet's defaults when it has none); rejects with the container's output when it exits first
 * or the time is up. `label` names it in that error.
 */
export async function waitUntilReady(container: Container, local: LocalContainer, label = container.name): Promise<{ url: string; body: unknown }> {
  const probe = container.readinessProbe?.httpGet
  if (!probe) throw new Error(`${label} has no HTTP readiness probe`)
  const url = `http://127.0.0.1:${containerPort(container, probe.port)}${probe.path}`
  const timeoutMs = (container.startupProbe?.periodSeconds ?? 10) * (container.startupProbe?.failureThreshold ?? 3) * 1_000
  let exited: number | string | undefined
  void local.exited.then((code) => (exited = code))
  const deadline = Date.now() + timeoutMs
  while (exited === undefined && Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined)
    if (response?.status === 200) return { url, body: await response.json() }
    await response?.body?.cancel()
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${label}: ${url} not 200 (${exited === undefined ? `not within ${timeoutMs} ms` : `exited ${exited}`}):\n${local.output.join('\n')}`)
}
