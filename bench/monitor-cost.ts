// npm run bench:monitor [-- --seconds 60 --interval 5s]
//
// What the monitor costs: the three services as separate processes (permission,
// cache-invalidator, task-worker, on one database and NATS namespace) and a monitor process
// (TARGET=monitor) watching them and itself at the given interval (MONITOR_SCRAPE_INTERVAL, 5 s
// as the issue asks). Measured over `--seconds` after a warm-up: the monitor's CPU (cores) and
// resident memory (sampled every second), its scrape durations (from its own /metrics), the size
// of each /metrics it reads, and the CPU the watched processes spend with the monitor on and,
// for comparison, over as long with it stopped (the difference is what serving its scrapes costs them).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createTestDatabase, deleteNamespace } from '@latchkey/testing'
import { integerFlag, parseFlags } from './lib/cli.ts'
import { watchCpu } from './lib/cpu-time.ts'
import { startLatchkey } from './lib/latchkey-process.ts'
import type { NodeProcess } from './lib/node-process.ts'
import { scrape, sum } from './lib/prometheus.ts'
import { environment, writeResults } from './lib/results.ts'
import { markdownTable, ms } from './lib/table.ts'

const usage = 'usage: npm run bench:monitor -- [--seconds 60] [--interval 5s]'
const flags = parseFlags('bench:monitor', usage, { seconds: { type: 'string' }, interval: { type: 'string' }, help: { type: 'boolean' } })
const seconds = integerFlag('bench:monitor', 'seconds', flags.seconds, 60, 10)
const interval = flags.interval ?? '5s'
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

const rssBytes = (pid: number): number | undefined => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : undefined
}
const mib = (bytes: number | undefined) => (bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(1)} MiB`)
const cores = (value: number | undefined) => (value === undefined ? '-' : `${(value * 100).toFixed(2)} % of a core`)
const sleep = (msValue: number) => new Promise((resolve) => setTimeout(resolve, msValue))

const database = await createTestDatabase()
const namespace = `lkmon${randomBytes(4).toString('hex')}`
const env = { NATS_NAMESPACE: namespace, MIGRATE_ON_START: 'false' }
const processes: NodeProcess[] = []
try {
  for (const target of ['permission', 'cache-invalidator', 'task-worker']) {
    processes.push(await startLatchkey({ name: target, databaseUrl: database.url, env: { ...env, TARGET: target } }))
  }
  const watchedPids = processes.map((p) => p.pid)
  const monitor = await startLatchkey({
    name: 'monitor',
    databaseUrl: database.url,
    env: { ...env, TARGET: 'monitor', MONITOR_TARGETS: processes.map((p) => p.url).join(','), MONITOR_SCRAPE_INTERVAL: interval },
  })
  const exposition = await Promise.all(processes.map(async (p) => (await fetch(`${p.url}/metrics`).then((r) => r.text())).length))
  process.stdout.write(`watching ${processes.length} processes and itself every ${interval}; warming up…\n`)
  await sleep(15_000)

  const before = await scrape(monitor.url)
  const on = watchCpu({ monitor: monitor.pid, watched: watchedPids, machine: 'machine' })
  const rss: number[] = []
  for (let s = 0; s < seconds; s++) {
    await sleep(1_000)
    const value = rssBytes(monitor.pid)
    if (value !== undefined) rss.push(value)
  }
  const withMonitor = on.stop()
  const after = await scrape(monitor.url)
  const scrapeSeconds = (sum(after, /^latchkey_monitor_scrape_duration_seconds_sum$/) ?? 0) - (sum(before, /^latchkey_monitor_scrape_duration_seconds_sum$/) ?? 0)
  const scrapes = (sum(after, /^latchkey_monitor_scrape_duration_seconds_count$/) ?? 0) - (sum(before, /^latchkey_monitor_scrape_duration_seconds_count$/) ?? 0)
  await monitor.stop()

  const off = watchCpu({ watched: watchedPids, machine: 'machine' })
  await sleep(seconds * 1_000)
  const withoutMonitor = off.stop()

  const rows = [
    ['monitor CPU', cores(withMonitor.monitor)],
    ['monitor resident memory (min / median / max)', `${mib(Math.min(...rss))} / ${mib([...rss].sort((a, b) => a - b)[Math.floor(rss.length / 2)])} / ${mib(Math.max(...rss))}`],
    ['resident memory of the watched processes (same program, other targets)', watchedPids.map((pid) => mib(rssBytes(pid))).join(', ')],
    ['scrapes in the window', String(scrapes)],
    ['mean scrape (read + parse one /metrics)', ms(scrapes > 0 ? (scrapeSeconds / scrapes) * 1000 : undefined)],
    ['/metrics size of the watched processes', exposition.map((bytes) => `${(bytes / 1024).toFixed(1)} KiB`).join(', ')],
    ['CPU of the 3 watched processes, monitor on', cores(withMonitor.watched)],
    ['CPU of the 3 watched processes, monitor off', cores(withoutMonitor.watched)],
    ['machine (all processes), monitor on / off', `${cores(withMonitor.machine)} / ${cores(withoutMonitor.machine)}`],
    ['load average (1 min) at the end', loadavg()[0]!.toFixed(1)],
  ]
  process.stdout.write(`\n${markdownTable(['figure', `every ${interval}, ${seconds} s`], rows, ['l', 'r'])}\n`)
  const path = writeResults(`bench/results/monitor-cost-${Date.now()}.json`, { environment: environment(), interval, seconds, withMonitor, withoutMonitor, rss, scrapes, scrapeSeconds, exposition })
  process.stdout.write(`\nraw figures: ${path}\n`)
} finally {
  await Promise.all(processes.map((p) => p.stop()))
  await deleteNamespace(namespace, natsUrl).catch(() => {})
  await database.drop()
}
