// npm run bench:permission-client [-- --quick] [-- --out bench/results/permission-client.json]
//
// What the permission client (@latchkey/permission-client) costs a host application, on the real
// program (TARGET=permission,cache-invalidator, a child process) and this machine's servers:
//   (1) a check answered from the client's L1 (in process, awaited);
//   (2) a check answered by the service over gRPC (the client without NATS: one Check call),
//       sequential (latency) and 64 in flight (throughput);
//   (3) a check whose (organization, user) pair is not in L1 yet (one ListPermissions call);
//   (4) the fan-out delay: from a role change's HTTP answer to the client's first answer of the new
//       state without a token (the client polled back to back).
// Prints markdown tables, writes JSON, exits 0 (it is a measurement).
import { randomBytes } from 'node:crypto'
import { createTestDatabase, removeRedisKeys } from '@latchkey/testing'
import { createPermissionClient, type PermissionClient } from '@latchkey/permission-client'
import { connect } from '@nats-io/transport-node'
import { integerFlag, parseFlags } from './lib/cli.ts'
import { freePort } from './lib/free-port.ts'
import { startLatchkey } from './lib/latchkey-process.ts'
import { environment, writeResults } from './lib/results.ts'
import { quantile } from './lib/stats.ts'
import { count, markdownTable, ms, ns } from './lib/table.ts'

const usage = `Usage: npm run bench:permission-client -- [options]

  --quick          fewer iterations and writes
  --users N        users in the organization (default 1000)
  --hits N         L1 checks (default 1,000,000; quick 200,000)
  --calls N        sequential gRPC checks (default 5,000; quick 1,000)
  --writes N       role changes for the fan-out delay (default 100; quick 30)
  --out PATH       JSON results (default bench/results/permission-client.json)
  --help`

const flags = parseFlags('bench:permission-client', usage, {
  quick: { type: 'boolean', default: false },
  users: { type: 'string' },
  hits: { type: 'string' },
  calls: { type: 'string' },
  writes: { type: 'string' },
  out: { type: 'string', default: 'bench/results/permission-client.json' },
  help: { type: 'boolean', default: false },
})
const integer = (name: string, value: string | undefined, fallback: number) => integerFlag('bench:permission-client', name, value, fallback)
const quick = flags.quick
const config = {
  users: integer('users', flags.users, 1_000),
  hits: integer('hits', flags.hits, quick ? 200_000 : 1_000_000),
  calls: integer('calls', flags.calls, quick ? 1_000 : 5_000),
  writes: integer('writes', flags.writes, quick ? 30 : 100),
  inFlight: 64,
}
const log = (message: string) => process.stderr.write(`${message}\n`)
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const database = await createTestDatabase()
const grpcPort = await freePort()
const namespace = `bench_${randomBytes(4).toString('hex')}`
const latchkey = await startLatchkey({
  name: 'latchkey',
  databaseUrl: database.url,
  env: { TARGET: 'permission,cache-invalidator', GRPC_PORT: String(grpcPort), NATS_NAMESPACE: namespace },
})
const address = `127.0.0.1:${grpcPort}`

async function write(method: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${latchkey.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

const lapsMs = (fn: () => Promise<unknown>) => async () => {
  const started = performance.now()
  await fn()
  return performance.now() - started
}
const percentiles = (samples: number[]) => {
  const sorted = Float64Array.from(samples).sort()
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]! }
}

try {
  log(`fixture: one organization, ${count(config.users)} users`)
  await write('POST', '/v1/permissions', { key: 'bench.view' })
  await write('POST', '/v1/orgs', { slug: 'bench', name: 'Bench' })
  await write('POST', '/v1/orgs/bench/roles', { name: 'viewer', permissions: ['bench.view'] })
  const users = Array.from({ length: config.users }, (_, i) => `user-${i}`)
  for (let i = 0; i < users.length; i += 32) {
    await Promise.all(
      users.slice(i, i + 32).map(async (user) => {
        await write('PUT', `/v1/users/${user}`, { email: `${user}@example.com` })
        await write('PUT', `/v1/orgs/bench/members/${user}`, { roles: ['viewer'] })
      }),
    )
  }

  const nats = await connect({ servers: natsUrl, maxReconnectAttempts: -1 })
  const cached = await createPermissionClient({ address, nats, namespace })
  const direct = await createPermissionClient({ address })

  log('(3) first checks of each user: one ListPermissions call each')
  const misses: number[] = []
  for (const user of users) misses.push(await lapsMs(() => cached.check('bench', user, 'bench.view'))())

  log(`(1) ${count(config.hits)} checks from L1`)
  let started = performance.now()
  for (let i = 0; i < config.hits; i++) await cached.check('bench', users[i % users.length]!, 'bench.view')
  const hitNs = ((performance.now() - started) * 1e6) / config.hits

  log(`(2) ${count(config.calls)} sequential gRPC checks, then ${config.inFlight} in flight`)
  const calls: number[] = []
  for (let i = 0; i < config.calls; i++) calls.push(await lapsMs(() => direct.check('bench', users[i % users.length]!, 'bench.view'))())
  started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: config.inFlight }, async () => {
      while (next < config.calls) await direct.check('bench', users[next++ % users.length]!, 'bench.view')
    }),
  )
  const grpcPerSecond = config.calls / ((performance.now() - started) / 1000)

  log(`(4) fan-out delay over ${config.writes} role changes`)
  const delays: number[] = []
  let granted = true
  for (let i = 0; i < config.writes; i++) {
    const user = users[i % users.length]!
    await cached.check('bench', user, 'bench.view')
    granted = !granted
    await write('PUT', '/v1/orgs/bench/roles/viewer', { permissions: granted ? ['bench.view'] : [] })
    const answered = performance.now()
    while ((await cached.check('bench', user, 'bench.view')).allowed !== granted) {
      if (performance.now() - answered > 10_000) throw new Error('the change did not reach the client within 10 s')
      // An L1 answer awaits nothing: let the event loop read the fan-out between two polls.
      await new Promise(setImmediate)
    }
    delays.push(performance.now() - answered)
  }

  const miss = percentiles(misses)
  const call = percentiles(calls)
  const fanOut = percentiles(delays)
  const results = { config, hitNs, miss, call, grpcPerSecond, fanOut, stats: cached.stats() }
  process.stdout.write(
    `\n${markdownTable(
      ['case', 'p50', 'p99', 'max', 'throughput'],
      [
        ['(1) check from the client’s L1 (awaited, in process)', ns(hitNs), '', '', `${count(1e9 / hitNs)} checks/s`],
        ['(2) check over gRPC (no L1), sequential', ms(call.p50), ms(call.p99), ms(call.max), `${count(1000 / call.p50)} checks/s`],
        [`(2) check over gRPC (no L1), ${config.inFlight} in flight`, '', '', '', `${count(grpcPerSecond)} checks/s`],
        ['(3) first check of a user (ListPermissions, then kept)', ms(miss.p50), ms(miss.p99), ms(miss.max), ''],
        ['(4) role change answered → client answers the new state', ms(fanOut.p50), ms(fanOut.p99), ms(fanOut.max), ''],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    )}\n\nload average ${environment().loadAverage}; results in ${writeResults(flags.out, { environment: environment(), ...results })}\n`,
  )
  cached.close()
  direct.close()
  await nats.close()
} finally {
  await latchkey.stop()
  await removeRedisKeys(redisUrl, latchkey.redisPrefix)
  await database.drop()
}
