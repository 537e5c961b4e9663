// CPU time used by processes, read from /proc (Linux; elsewhere the figures are absent, not wrong).
import { readdirSync, readFileSync } from 'node:fs'

const ticksPerSecond = 100 // USER_HZ: 100 on every Linux that Node supports

/** User + system CPU seconds of a process (all its threads), or undefined if it cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return undefined
  }
}

/** CPU seconds of every process with the given command name (e.g. all PostgreSQL processes), by pid. */
export function commandCpuSeconds(command: string): Map<number, number> {
  const byPid = new Map<number, number>()
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    return byPid
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      byPid.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond)
    } catch {
      // The process ended while we looked.
    }
  }
  return byPid
}

/** CPU seconds the whole machine spent busy (every core, every process), from /proc/stat. */
export function machineCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond
  } catch {
    return undefined
  }
}

export interface CpuShares {
  /** Each watched party's CPU use over the interval, in cores (1 = one core busy all the time). */
  [party: string]: number | undefined
}

/**
 * Watches the CPU of several parties over an interval: `stop()` returns how many cores each used.
 * A party is a pid, a list of pids, 'self' (this process), 'machine' (every process: compare with
 * the others to see whether something else ran meanwhile) or a command name prefixed with 'cmd:'.
 * For several processes, only those alive at both ends count (one that ended took its time along).
 */
export function watchCpu(parties: Record<string, number | number[] | 'self' | 'machine' | `cmd:${string}`>): { stop(): CpuShares } {
  const read = (who: number | number[] | string): number | Map<number, number> | undefined => {
    if (who === 'machine') return machineCpuSeconds()
    if (who === 'self') {
      const usage = process.cpuUsage()
      return (usage.user + usage.system) / 1e6
    }
    if (typeof who === 'string') return commandCpuSeconds(who.slice(4))
    if (Array.isArray(who)) {
      const byPid = new Map<number, number>()
      for (const pid of who) {
        const seconds = processCpuSeconds(pid)
        if (seconds !== undefined) byPid.set(pid, seconds)
      }
      return byPid
    }
    return processCpuSeconds(who)
  }
  const delta = (start: number | Map<number, number> | undefined, end: number | Map<number, number> | undefined): number | undefined => {
    if (start === undefined || end === undefined) return undefined
    if (typeof start === 'number' || typeof end === 'number') return typeof start === 'number' && typeof end === 'number' ? end - start : undefined
    let total = 0
    for (const [pid, seconds] of end) {
      const before = start.get(pid)
      if (before !== undefined) total += seconds - before
    }
    return total
  }
  const started = performance.now()
  const before = Object.fromEntries(Object.entries(parties).map(([name, who]) => [name, read(who)]))
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000
      const shares: CpuShares = {}
      for (const [name, who] of Object.entries(parties)) {
        const used = delta(before[name], read(who))
        shares[name] = used === undefined ? undefined : used / seconds
      }
      return shares
    },
  }
}

/**
 * Waits until the given processes are quiet (together under `threshold` cores over a window), so
 * that background work (an outbox backlog being published, invalidations being applied, JIT)
 * does not run into a measurement. Resolves with the milliseconds waited; gives up after
 * `timeoutMs` and resolves all the same.
 */
export async function waitForIdle(pids: number[], options: { threshold?: number; windowMs?: number; timeoutMs?: number } = {}): Promise<number> {
  const threshold = options.threshold ?? 0.05
  const windowMs = options.windowMs ?? 1_000
  const started = performance.now()
  while (performance.now() - started < (options.timeoutMs ?? 120_000)) {
    const watch = watchCpu(Object.fromEntries(pids.map((pid) => [String(pid), pid])))
    await new Promise((resolve) => setTimeout(resolve, windowMs))
    const shares = watch.stop()
    const busy = Object.values(shares).reduce<number>((sum, share) => sum + (share ?? 0), 0)
    if (busy < threshold) break
  }
  return performance.now() - started
}
