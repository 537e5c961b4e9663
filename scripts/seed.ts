// npm run seed -- --url http://127.0.0.1:8080 --orgs 50 --roles 200 --permissions 500 --users 10000 [--seed 42]
//   [--deals-per-org 20 --files-per-org 2 --database-url postgresql://... --file-storage-dir ./data/files]
//
// Fills a running Latchkey with realistic data through its HTTP API (see scripts/seed/plan.ts for
// what is generated, scripts/seed/apply.ts for how it is written; scripts/seed/business.ts for the
// deals, commission rates and files, written to PostgreSQL and the storage directory). Deterministic given --seed
// (and --now); running it again against the same database converges on the same data.
import { parseArgs } from 'node:util'
import { applyPlan, assertReachable, LatchkeyUnreachableError, SeedWriteError } from './seed/apply.ts'
import { buildPlan, deepestInheritance, orgSizes } from './seed/plan.ts'
import { applyBusinessPlan, buildBusinessPlan } from './seed/business.ts'
import { createPrismaClient } from '@latchkey/db'

const usage = `Usage: npm run seed -- [options]

  --url URL[,URL...]   Latchkey HTTP base URL (default http://127.0.0.1:8080); several replicas of
                       one installation share the writes (the server's write path is the limit)
  --orgs N             organizations (default 50)
  --roles N            roles, spread over the organizations (default 200)
  --permissions N      permission keys in the catalog (default 500)
  --users N            users; each is a member of 1 to 3 organizations (default 10000)
  --seed N             PRNG seed (default 42)
  --now ISO-DATE       what passwordChangedAt counts back 200 days from (default today 00:00 UTC)
  --concurrency N      requests in flight (default 32)
  --per-org N          membership writes in flight per organization (default 2)
  --deals-per-org N    deals per organization with members (default 20; 0 with --files-per-org 0:
                       no business data, no database access)
  --files-per-org N    uploaded files per organization (default 2), written to the storage directory
  --database-url URL   where business data is written (default DATABASE_URL, else
                       postgresql://postgres@127.0.0.1:5432/latchkey): the installation's database
  --file-storage-dir D the task worker's FILE_STORAGE_DIR (default FILE_STORAGE_DIR, else ./data/files)
  --dry-run            build and describe the plan, write nothing
  --help`

function integer(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${value}"`)
  return n
}

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n`)
  process.exit(1)
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        orgs: { type: 'string' },
        roles: { type: 'string' },
        permissions: { type: 'string' },
        users: { type: 'string' },
        seed: { type: 'string' },
        now: { type: 'string' },
        concurrency: { type: 'string' },
        'per-org': { type: 'string' },
        'deals-per-org': { type: 'string' },
        'files-per-org': { type: 'string' },
        'database-url': { type: 'string' },
        'file-storage-dir': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    })
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`)
  }
})()
if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const now = values.now === undefined ? undefined : new Date(values.now)
if (now && Number.isNaN(now.getTime())) fail(`--now must be a date, got "${values.now}"`)
const urls = values.url.split(',').map((u) => u.trim()).filter(Boolean)
for (const url of urls) {
  try {
    new URL(url)
  } catch {
    fail(`--url must be a URL like http://127.0.0.1:8080 (or a comma list of them), got "${url}"`)
  }
}

const options = {
  orgs: integer('orgs', values.orgs, 50),
  roles: integer('roles', values.roles, 200),
  permissions: integer('permissions', values.permissions, 500),
  users: integer('users', values.users, 10_000),
  seed: integer('seed', values.seed, 42),
  now,
}
const concurrency = integer('concurrency', values.concurrency, 32, 1)
const perOrg = integer('per-org', values['per-org'], 2, 1)
const businessSizes = { dealsPerOrg: integer('deals-per-org', values['deals-per-org'], 20), filesPerOrg: integer('files-per-org', values['files-per-org'], 2) }
const withBusiness = businessSizes.dealsPerOrg > 0 || businessSizes.filesPerOrg > 0

const started = performance.now()
const plan = buildPlan(options)
const business = buildBusinessPlan(plan, businessSizes)
const planMs = performance.now() - started
const sizes = orgSizes(plan)
const largest = sizes[0]
const withInheritance = plan.roles.filter((r) => r.inherits.length > 0).length
const orgsPerUser = [0, 0, 0, 0]
const perUser = new Map<string, number>()
for (const m of plan.memberships) perUser.set(m.user, (perUser.get(m.user) ?? 0) + 1)
for (const n of perUser.values()) orgsPerUser[Math.min(n, 3)]!++

const describePlan = () =>
  [
    `plan (seed ${plan.options.seed}, built in ${planMs.toFixed(0)} ms):`,
    `  permissions  ${plan.permissions.length} (${plan.permissions.slice(0, 4).map((p) => p.key).join(', ')}, …)`,
    `  orgs         ${plan.orgs.length}`,
    `  roles        ${plan.roles.length} (${withInheritance} inherit another; longest chain ${deepestInheritance(plan)})`,
    `  users        ${plan.users.length} (members of 1/2/3 orgs: ${orgsPerUser.slice(1).join('/')})`,
    `  memberships  ${plan.memberships.length}`,
    `  deals        ${business.deals.length} (${businessSizes.dealsPerOrg} per organization with members), ${business.rates.length} commission rates, ${business.files.length} files`,
    largest ? `  largest org  ${largest.org}: ${largest.members} members; smallest ${sizes.at(-1)!.org}: ${sizes.at(-1)!.members}` : '',
  ]
    .filter(Boolean)
    .join('\n')

if (values['dry-run']) {
  process.stdout.write(`${describePlan()}\n`)
  process.exit(0)
}

const tty = process.stderr.isTTY
try {
  for (const url of urls) await assertReachable(url)
  process.stderr.write(`seeding ${urls.join(', ')} (${concurrency} requests in flight, ${perOrg} per organization)\n`)
  const summary = await applyPlan(plan, {
    url: urls,
    concurrency,
    perOrg,
    onProgress: ({ phase, done, total, elapsedMs, finished }) => {
      const rate = elapsedMs > 0 ? Math.round((done / elapsedMs) * 1000) : 0
      const line = `  ${phase.padEnd(13)} ${String(done).padStart(6)}/${total}  ${rate}/s  ${(elapsedMs / 1000).toFixed(1)} s`
      if (tty) process.stderr.write(`\r${line}${finished ? '\n' : ''}`)
      else process.stderr.write(`${line}\n`)
    },
  })
  let businessLine = ''
  if (withBusiness) {
    const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/latchkey'
    const db = createPrismaClient({ url: databaseUrl, poolSize: 2 })
    try {
      const written = await applyBusinessPlan(business, { db, fileStorageDir: values['file-storage-dir'] ?? process.env.FILE_STORAGE_DIR ?? './data/files' })
      businessLine = `business data: ${written.deals} deals, ${written.rates} commission rates, ${written.files} files in ${written.organizations} organizations, ${(written.ms / 1000).toFixed(2)} s`
    } catch (err) {
      // The permission data is written; only the business part failed (often: no access to the database).
      const where = new URL(databaseUrl)
      fail(`business data not written to ${where.host}${where.pathname}: ${(err as Error).message}\n(--database-url names the installation's database; --deals-per-org 0 --files-per-org 0 skips this part)`)
    } finally {
      await db.$disconnect()
    }
  }
  const lines = [
    describePlan(),
    '',
    '| phase | written | already there | time | per second |',
    '|---|---:|---:|---:|---:|',
    ...summary.phases.map(
      (p) => `| ${p.phase} | ${p.created} | ${p.existing} | ${(p.ms / 1000).toFixed(2)} s | ${p.ms > 0 ? Math.round(((p.created + p.existing) / p.ms) * 1000) : '-'} |`,
    ),
    '',
    ...(businessLine ? [businessLine] : []),
    `seeded ${urls.join(', ')} in ${(summary.ms / 1000).toFixed(1)} s; largest org ${largest?.org ?? '-'} with ${largest?.members ?? 0} members`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} catch (err) {
  if (err instanceof LatchkeyUnreachableError || err instanceof SeedWriteError) fail(err.message)
  throw err
}
