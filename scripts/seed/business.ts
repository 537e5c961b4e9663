// The business part of the seed: deals, commission rates and uploaded files for the organizations
// of a seed plan (plan.ts), built by pure functions from the plan, sizes and a seed, and written
// straight to PostgreSQL through @latchkey/business's write path (one transaction and one change
// event per organization, so that cached figures of the organization are invalidated).
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { businessCacheKeys, businessCacheTypes, writeBusinessChange, type DealRow, type DealStage, type VerificationStatus } from '@latchkey/business'
import type { Database } from '@latchkey/db'
import { createRng, type Rng, type SeedPlan } from './plan.ts'

export interface BusinessSizes {
  /** Deals per organization that has members (default 20). */
  dealsPerOrg: number
  /** Uploaded files per organization (default 2): CSV exports and notes, written to the storage directory. */
  filesPerOrg: number
}

/** A deal as the host application sees it, its organization named by slug and its owner by id. */
export type PlannedDeal = Omit<DealRow, 'orgId' | 'ownerId'> & { org: string; owner: string }

export interface PlannedRate {
  id: string
  org: string
  /** Null: the organization's default rate. */
  user: string | null
  rate: string
  validFrom: string
}

export interface PlannedFile {
  org: string
  /** Relative to the storage directory: `<org slug>/<name>`. */
  path: string
  uploadedBy: string | null
  content: string
  /** Data rows of a CSV file (not counting its header); null for other files. */
  rowCount: number | null
}

export interface BusinessPlan {
  deals: PlannedDeal[]
  rates: PlannedRate[]
  files: PlannedFile[]
}

const dayMs = 86_400_000
const stages: DealStage[] = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost']
const stageWeights = [25, 15, 15, 10, 20, 15]
const products = ['Platform licence', 'Support renewal', 'Onboarding package', 'Data migration', 'Enterprise upgrade', 'Training days', 'Hardware refresh', 'Consulting retainer', 'Pilot project', 'Seat expansion']

/** A v4-shaped UUID drawn from the PRNG: the same plan gives the same ids, so a second run converges. */
function uuidFrom(rng: Rng): string {
  let hex = ''
  for (let i = 0; i < 32; i++) hex += rng.int(16).toString(16)
  const variant = ((rng.int(4) + 8) as number).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** Log-uniform between 500 and 200,000: many small deals, a few large ones. */
const amountFrom = (rng: Rng) => Math.exp(Math.log(500) + rng.next() * (Math.log(200_000) - Math.log(500))).toFixed(2)

function verificationFor(stage: DealStage, amount: string, rng: Rng): VerificationStatus {
  if (stage === 'won') return 'verified'
  if (stage === 'lead') return rng.next() < 0.2 ? 'verified' : 'unverified'
  if (stage === 'lost') return rng.next() < 0.3 ? 'rejected' : 'unverified'
  if (Number(amount) < 10_000) return rng.next() < 0.5 ? 'verified' : 'unverified'
  const r = rng.next()
  return r < 0.5 ? 'pending' : r < 0.9 ? 'verified' : 'rejected'
}

function csvFile(rng: Rng, rows: number, deals: PlannedDeal[]): { content: string; rowCount: number } {
  const lines = ['deal_id,title,amount,stage,note']
  for (let i = 0; i < rows; i++) {
    const deal = deals.length > 0 ? rng.pick(deals) : undefined
    // Some notes hold commas and line breaks: the row count comes from a real CSV parser.
    const note = rng.next() < 0.1 ? '"called twice,\nfollow up"' : rng.next() < 0.2 ? '"net 30, signed"' : 'ok'
    lines.push(`${deal?.id ?? ''},${(deal?.title ?? 'n/a').replaceAll(',', ' ')},${deal?.amount ?? '0.00'},${deal?.stage ?? 'lead'},${note}`)
  }
  return { content: `${lines.join('\n')}\n`, rowCount: rows }
}

/** Deals, commission rates and files for every organization of `plan` that has members. */
export function buildBusinessPlan(plan: SeedPlan, sizes: BusinessSizes): BusinessPlan {
  for (const name of ['dealsPerOrg', 'filesPerOrg'] as const) {
    if (!Number.isInteger(sizes[name]) || sizes[name] < 0) throw new RangeError(`${name} must be a non-negative integer, got ${sizes[name]}`)
  }
  const rng = createRng((plan.options.seed ^ 0x0b5e55) >>> 0)
  const now = plan.options.now.getTime()
  const monthStart = Date.UTC(plan.options.now.getUTCFullYear(), plan.options.now.getUTCMonth(), 1)
  const membersByOrg = new Map<string, string[]>()
  for (const m of plan.memberships) membersByOrg.set(m.org, [...(membersByOrg.get(m.org) ?? []), m.user])
  const out: BusinessPlan = { deals: [], rates: [], files: [] }
  for (const org of plan.orgs) {
    const members = membersByOrg.get(org.slug) ?? []
    if (members.length === 0) continue
    const orgDeals: PlannedDeal[] = []
    for (let n = 0; n < sizes.dealsPerOrg; n++) {
      const stage = stages[rng.weighted(stageWeights)]!
      const amount = amountFrom(rng)
      const verificationStatus = verificationFor(stage, amount, rng)
      // Half the won deals were won this month (commissions to calculate); the rest up to 100 days ago.
      const changedAt = stage === 'won' && rng.next() < 0.5 ? monthStart + rng.next() * (now - monthStart) : now - rng.next() * 100 * dayMs
      const createdAt = changedAt - rng.next() * 60 * dayMs
      orgDeals.push({
        id: uuidFrom(rng),
        org: org.slug,
        owner: rng.pick(members),
        title: `${rng.pick(products)} for ${org.name}`,
        amount,
        stage,
        verificationStatus,
        verificationRequestedAt: verificationStatus === 'pending' ? new Date(changedAt - rng.next() * 10 * dayMs).toISOString() : null,
        stageChangedAt: new Date(changedAt).toISOString(),
        closedAt: stage === 'won' || stage === 'lost' ? new Date(changedAt).toISOString() : null,
        createdAt: new Date(createdAt).toISOString(),
      })
    }
    out.deals.push(...orgDeals)
    out.rates.push({ id: uuidFrom(rng), org: org.slug, user: null, rate: (0.03 + rng.int(8) * 0.01).toFixed(4), validFrom: new Date(now - 365 * dayMs).toISOString() })
    for (const owner of new Set(orgDeals.map((d) => d.owner))) {
      if (rng.next() < 0.2) out.rates.push({ id: uuidFrom(rng), org: org.slug, user: owner, rate: (0.05 + rng.int(10) * 0.005).toFixed(4), validFrom: new Date(now - 180 * dayMs).toISOString() })
    }
    for (let n = 1; n <= sizes.filesPerOrg; n++) {
      const uploadedBy = rng.pick(members)
      out.files.push(
        n % 2 === 1
          ? { org: org.slug, path: `${org.slug}/deals-export-${n}.csv`, uploadedBy, ...csvFile(rng, 5 + rng.int(200), orgDeals) }
          : { org: org.slug, path: `${org.slug}/meeting-notes-${n}.txt`, uploadedBy, content: `Pipeline review ${n} of ${org.name}\n${'Next steps agreed.\n'.repeat(1 + rng.int(20))}`, rowCount: null },
      )
    }
  }
  return out
}

export interface BusinessApplySummary {
  organizations: number
  deals: number
  rates: number
  files: number
  ms: number
}

/**
 * Writes the business plan: per organization, in one transaction, its deals (a second run puts
 * them back as planned), commission rates and file rows (`pending`), then the files themselves
 * under `fileStorageDir`. Needs the plan's organizations and users to exist (apply.ts first).
 */
export async function applyBusinessPlan(plan: BusinessPlan, options: { db: Database; fileStorageDir: string }): Promise<BusinessApplySummary> {
  const started = performance.now()
  const { db } = options
  const slugs = [...new Set([...plan.deals, ...plan.rates, ...plan.files].map((row) => row.org))]
  const orgIds = new Map(
    (await db.$queryRaw<{ id: string; slug: string }[]>`SELECT id, slug FROM organizations WHERE slug = ANY(${slugs}::text[]) AND deleted_at IS NULL`).map((o) => [o.slug, o.id]),
  )
  const missing = slugs.filter((slug) => !orgIds.has(slug))
  if (missing.length > 0) throw new Error(`organizations missing (apply the permission plan first): ${missing.slice(0, 5).join(', ')}`)
  const deps = { db, types: businessCacheTypes() }
  for (const slug of slugs) {
    const orgId = orgIds.get(slug)!
    const deals = plan.deals.filter((d) => d.org === slug)
    const rates = plan.rates.filter((r) => r.org === slug)
    const files = plan.files.filter((f) => f.org === slug)
    await writeBusinessChange(deps, orgId, async (tx) => {
      if (deals.length > 0) {
        const column = <K extends keyof PlannedDeal>(key: K) => deals.map((d) => d[key])
        await tx.$executeRaw`
          INSERT INTO deals (id, org_id, owner_id, title, amount, stage, verification_status, verification_requested_at, stage_changed_at, closed_at, created_at, updated_at)
          SELECT d.id, ${orgId}::uuid, d.owner_id, d.title, d.amount, d.stage, d.verification_status, d.verification_requested_at, d.stage_changed_at, d.closed_at, d.created_at, now()
          FROM unnest(${column('id')}::uuid[], ${column('owner')}::text[], ${column('title')}::text[], ${column('amount')}::numeric[], ${column('stage')}::text[],
                      ${column('verificationStatus')}::text[], ${column('verificationRequestedAt')}::timestamptz[], ${column('stageChangedAt')}::timestamptz[],
                      ${column('closedAt')}::timestamptz[], ${column('createdAt')}::timestamptz[])
               AS d(id, owner_id, title, amount, stage, verification_status, verification_requested_at, stage_changed_at, closed_at, created_at)
          ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id, title = EXCLUDED.title, amount = EXCLUDED.amount, stage = EXCLUDED.stage,
            verification_status = EXCLUDED.verification_status, verification_requested_at = EXCLUDED.verification_requested_at,
            stage_changed_at = EXCLUDED.stage_changed_at, closed_at = EXCLUDED.closed_at, updated_at = now()`
      }
      await tx.$executeRaw`
        INSERT INTO commission_rates (id, org_id, user_id, rate, valid_from)
        SELECT r.id, ${orgId}::uuid, r.user_id, r.rate, r.valid_from
        FROM unnest(${rates.map((r) => r.id)}::uuid[], ${rates.map((r) => r.user)}::text[], ${rates.map((r) => r.rate)}::numeric[], ${rates.map((r) => r.validFrom)}::timestamptz[])
             AS r(id, user_id, rate, valid_from)
        ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, rate = EXCLUDED.rate, valid_from = EXCLUDED.valid_from`
      await tx.$executeRaw`
        INSERT INTO uploaded_files (id, org_id, path, uploaded_by)
        SELECT gen_random_uuid(), ${orgId}::uuid, f.path, f.uploaded_by
        FROM unnest(${files.map((f) => f.path)}::text[], ${files.map((f) => f.uploadedBy)}::text[]) AS f(path, uploaded_by)
        ON CONFLICT (org_id, path) DO NOTHING`
      return {
        result: undefined,
        event: { type: 'business.seeded', payload: { deals: deals.length, rates: rates.length, files: files.length } },
        stale: businessCacheKeys.dealsChanged(deals.map((d) => d.owner)),
      }
    })
  }
  for (const file of plan.files) {
    const path = join(options.fileStorageDir, file.path)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, file.content)
  }
  return { organizations: slugs.length, deals: plan.deals.length, rates: plan.rates.length, files: plan.files.length, ms: performance.now() - started }
}
