// Summarizes a V8 .cpuprofile (written by `node --cpu-prof`): where the CPU time went, by function
// and by package, as self time (the time spent in the function's own code).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface ProfileSummary {
  /** Sampled time in ms, idle included. */
  totalMs: number
  /** Non-idle time in ms. */
  busyMs: number
  byPackage: { name: string; ms: number; share: number }[]
  byFunction: { name: string; where: string; ms: number; share: number }[]
}

/** The package (or part of Node / of this repository) a script URL belongs to. */
export function packageOf(url: string): string {
  if (url === '') return '(native / V8)'
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const repo = url.match(/\/(libs|services|cmd|bench|scripts)\/([^/]+)/)
  if (repo) return `${repo[1]}/${repo[2]}`
  return url.replace(/^file:\/\//, '')
}

const shortUrl = (url: string, line: number): string => {
  const modules = url.lastIndexOf('/node_modules/')
  const tail = modules >= 0 ? url.slice(modules + '/node_modules/'.length) : url.replace(/^file:\/\/.*?\/(libs|services|cmd|bench|scripts)\//, '$1/')
  return tail ? `${tail}:${line + 1}` : ''
}

/**
 * Options select a window, counted back from the profile's end (the process's exit): `lastMs`
 * keeps the last milliseconds; `fromEndMs`/`toEndMs` keep samples between those distances from
 * the end (e.g. a load run that ended `toEndMs` before the exit).
 */
export function summarizeProfile(path: string, top = 25, options: { lastMs?: number; fromEndMs?: number; toEndMs?: number } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let at = profile.startTime
  const fromEnd = options.fromEndMs ?? options.lastMs
  const from = fromEnd === undefined ? -Infinity : profile.endTime - fromEnd * 1000
  const to = options.toEndMs === undefined ? Infinity : profile.endTime - options.toEndMs * 1000
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    at += profile.timeDeltas[i] ?? 0
    if (at < from || at > to) continue
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  let totalUs = 0
  let idleUs = 0
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, { name: string; where: string; us: number }>()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame
    totalUs += us
    if (functionName === '(idle)') {
      idleUs += us
      continue
    }
    const pkg = functionName.startsWith('(') ? functionName : packageOf(url)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    const where = shortUrl(url, lineNumber)
    const key = `${functionName}@${where}`
    const entry = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
  }
  const busyUs = totalUs - idleUs
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0)
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    byPackage: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: share(us) })),
    byFunction: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
  }
}

/** The summary as markdown: packages, then functions, by self time. */
export function formatProfile(summary: ProfileSummary, title: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`
  return [
    `### ${title}: ${(summary.busyMs / 1000).toFixed(2)} s busy of ${(summary.totalMs / 1000).toFixed(2)} s sampled`,
    '',
    '| package (self time) | ms | share of busy |',
    '|---|---:|---:|',
    ...summary.byPackage.map((p) => `| ${p.name} | ${p.ms.toFixed(0)} | ${pct(p.share)} |`),
    '',
    '| function (self time) | where | ms | share of busy |',
    '|---|---|---:|---:|',
    ...summary.byFunction.map((f) => `| ${f.name} | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
  ].join('\n')
}

/**
 * The main thread's profile among those a process wrote into `dir` (tsx's module loader runs in a
 * worker thread, which writes a small profile of its own): the largest file.
 */
export function mainThreadProfile(dir: string): string | undefined {
  let best: { path: string; size: number } | undefined
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.cpuprofile')) continue
    const path = join(dir, name)
    const size = statSync(path).size
    if (!best || size > best.size) best = { path, size }
  }
  return best?.path
}
