// Writes a benchmark's results as JSON, with what is needed to compare runs: the machine, the
// Node version, the commit and the options.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, resolve } from 'node:path'
import { repoRoot } from './node-process.ts'

export function environment(): Record<string, unknown> {
  let commit: string | undefined
  let dirty: boolean | undefined
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim().length > 0
  } catch {
    // Not a git checkout.
  }
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg(),
    commit,
    dirty,
  }
}

/** Writes `data` as pretty JSON to `path` (relative to the repository root), creating folders. */
export function writeResults(path: string, data: unknown): string {
  const file = resolve(repoRoot, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`)
  return file
}
