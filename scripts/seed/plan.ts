// The seed plan: realistic Latchkey data built from sizes and a seed, by pure functions (no I/O).
// The same sizes, seed and `now` always give the same plan, byte for byte; apply.ts writes it
// through the HTTP API, and benchmarks draw their check requests from it (pickChecks).

export interface SeedSizes {
  orgs: number
  roles: number
  permissions: number
  users: number
}

export interface PlanOptions extends SeedSizes {
  seed: number
  /** The moment `passwordChangedAt` counts back from (default: today, 00:00 UTC). */
  now?: Date
}

export interface PlannedPermission {
  key: string
  description: string
}

export interface PlannedOrg {
  slug: string
  name: string
}

export interface PlannedRole {
  org: string
  name: string
  /** Its own permissions (those of the roles it inherits are not repeated). */
  permissions: string[]
  inherits: string[]
}

export interface PlannedUser {
  id: string
  email: string
  name: string | null
  passwordChangedAt: string | null
}

export interface PlannedMembership {
  org: string
  user: string
  roles: string[]
}

export interface SeedPlan {
  options: Required<PlanOptions>
  permissions: PlannedPermission[]
  orgs: PlannedOrg[]
  /** Per organization, parents before the roles that inherit them (the order to create them in). */
  roles: PlannedRole[]
  users: PlannedUser[]
  memberships: PlannedMembership[]
}

// ---------------------------------------------------------------------------------------------
// A small seeded PRNG (mulberry32) and the draws the plan needs.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  pick<T>(items: readonly T[]): T
  /** Index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number
  /** `k` distinct items, drawn with probability proportional to their weights. */
  sampleWeighted<T>(items: readonly T[], weights: readonly number[], k: number): T[]
  shuffle<T>(items: T[]): T[]
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0 || 0x9e3779b9
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const weighted = (weights: readonly number[]): number => {
    let total = 0
    for (const w of weights) total += w
    let r = next() * total
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!
      if (r < 0) return i
    }
    return weights.length - 1
  }
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    weighted,
    sampleWeighted(items, weights, k) {
      const left = [...weights]
      const out: (typeof items)[number][] = []
      for (let n = Math.min(k, items.length); out.length < n; ) {
        const i = weighted(left)
        if (left[i] === 0) break
        out.push(items[i]!)
        left[i] = 0
      }
      return out
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1)
        ;[items[i], items[j]] = [items[j]!, items[i]!]
      }
      return items
    },
  }
}

/** An independent stream per part of the plan, so that changing one size leaves the others alone. */
const stream = (seed: number, part: string): Rng => {
  let h = seed >>> 0
  for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193) >>> 0
  return createRng(h ^ 0x5bd1e995)
}

// ---------------------------------------------------------------------------------------------
// The permission catalog: resource × action, as a CRM / sales-compensation product would have it.

const crud = ['view', 'create', 'edit', 'delete']
const records = [...crud, 'export', 'import', 'assign', 'share', 'archive', 'merge', 'bulk_edit', 'comment']
const documents = ['view', 'upload', 'download', 'edit', 'delete', 'share', 'archive', 'restore']
const money = ['view', 'create', 'edit', 'approve', 'void', 'export', 'delete']
const content = ['view', 'create', 'edit', 'delete', 'publish', 'approve', 'archive', 'export']
const admin = ['view', 'create', 'edit', 'delete', 'manage']

/** Resources (a dotted path) and the actions that make sense on each. */
const resources: [string, string[]][] = [
  ['deals', [...records, 'approve', 'reopen', 'close', 'transfer']],
  ['contacts', records],
  ['companies', records],
  ['leads', [...records, 'convert', 'qualify']],
  ['accounts', [...records, 'transfer']],
  ['activities', [...crud, 'assign', 'export']],
  ['tasks', [...crud, 'assign', 'complete', 'comment', 'export']],
  ['meetings', [...crud, 'invite', 'record']],
  ['calls', [...crud, 'record', 'listen', 'export']],
  ['emails', ['view', 'send', 'schedule', 'delete', 'track', 'export']],
  ['email_templates', content],
  ['quotes', [...money, 'send', 'clone']],
  ['products', [...crud, 'import', 'export', 'archive']],
  ['price_books', [...crud, 'approve', 'publish']],
  ['orders', [...money, 'fulfil', 'cancel']],
  ['invoices', [...money, 'send', 'refund']],
  ['payments', ['view', 'create', 'refund', 'export', 'reconcile']],
  ['commissions', ['view', 'calculate', 'approve', 'dispute', 'adjust', 'export', 'pay', 'lock']],
  ['commission_plans', [...content, 'assign', 'clone']],
  ['quotas', [...crud, 'assign', 'approve', 'export']],
  ['territories', [...crud, 'assign', 'export']],
  ['forecasts', ['view', 'edit', 'submit', 'approve', 'override', 'export']],
  ['pipelines', [...crud, 'configure']],
  ['campaigns', [...content, 'launch', 'pause', 'clone']],
  ['segments', [...crud, 'export', 'refresh']],
  ['forms', content],
  ['landing_pages', content],
  ['files', [...documents, 'move']],
  ['documents', [...documents, 'sign']],
  ['contracts', [...money, 'sign', 'renew', 'terminate']],
  ['reports', [...crud, 'run', 'schedule', 'share', 'export']],
  ['dashboards', [...crud, 'share', 'export']],
  ['analytics', ['view', 'export', 'configure']],
  ['tickets', [...records, 'close', 'reopen', 'escalate']],
  ['knowledge_base', content],
  ['chat', ['view', 'reply', 'transfer', 'close', 'export']],
  ['surveys', [...content, 'send']],
  ['projects', [...records, 'close']],
  ['timesheets', ['view', 'create', 'edit', 'submit', 'approve', 'export']],
  ['expenses', ['view', 'create', 'edit', 'submit', 'approve', 'reimburse', 'export']],
  ['payroll', ['view', 'run', 'approve', 'export']],
  ['employees', [...crud, 'export', 'import', 'offboard']],
  ['teams', [...crud, 'manage', 'invite']],
  ['users', [...admin, 'invite', 'deactivate', 'impersonate', 'reset_password']],
  ['roles', [...admin, 'assign']],
  ['groups', [...admin, 'assign']],
  ['audit_log', ['view', 'export', 'configure']],
  ['settings', ['view', 'edit', 'manage']],
  ['integrations', [...admin, 'connect', 'disconnect', 'sync']],
  ['api_keys', ['view', 'create', 'rotate', 'revoke']],
  ['webhooks', [...crud, 'test', 'replay']],
  ['billing', ['view', 'edit', 'manage', 'export']],
  ['subscriptions', ['view', 'upgrade', 'downgrade', 'cancel', 'renew']],
  ['notifications', ['view', 'configure', 'send']],
  ['workflows', [...crud, 'run', 'publish', 'pause']],
  ['approvals', ['view', 'approve', 'reject', 'delegate', 'configure']],
  ['custom_fields', [...crud, 'reorder']],
  ['tags', [...crud, 'merge']],
  ['notes', [...crud, 'share', 'pin']],
  ['calendar', ['view', 'edit', 'share', 'sync']],
  ['deals.notes', crud],
  ['deals.attachments', ['view', 'upload', 'download', 'delete']],
  ['deals.stages', ['view', 'edit', 'configure']],
  ['contacts.notes', crud],
  ['files.folders', [...crud, 'share', 'move']],
  ['files.versions', ['view', 'restore', 'delete']],
  ['reports.schedules', [...crud, 'run']],
  ['commissions.disputes', ['view', 'create', 'resolve', 'escalate']],
  ['commissions.adjustments', ['view', 'create', 'approve']],
  ['invoices.line_items', crud],
  ['users.sessions', ['view', 'revoke']],
  ['users.mfa', ['view', 'reset', 'enforce']],
  ['billing.payment_methods', ['view', 'create', 'delete']],
  ['settings.security', ['view', 'edit']],
  ['settings.branding', ['view', 'edit']],
  ['integrations.salesforce', ['view', 'configure', 'sync']],
  ['integrations.slack', ['view', 'configure']],
  ['integrations.hubspot', ['view', 'configure', 'sync']],
]

const verbs: Record<string, string> = { bulk_edit: 'Bulk-edit', reset_password: 'Reset the password of' }
const describe = (resource: string, action: string): string => {
  const verb = verbs[action] ?? action.charAt(0).toUpperCase() + action.slice(1).replaceAll('_', ' ')
  const parts = resource.split('.').map((p) => p.replaceAll('_', ' '))
  const noun = parts.length === 1 ? parts[0] : `${parts[0]} ${parts.slice(1).join(' ')}`
  return `${verb} ${noun}`
}

/** Parses a key into the resource and the action (the last segment). */
export function splitKey(key: string): { resource: string; action: string } {
  const dot = key.lastIndexOf('.')
  return { resource: key.slice(0, dot), action: key.slice(dot + 1) }
}

/**
 * `count` permission keys. The n-th action of every resource comes before the (n+1)-th of any,
 * so a small catalog still spans every resource with its most basic actions (view, create, ...).
 * Past the built-in pairs, custom objects (`custom_objects.object_12.view`) fill the count.
 */
export function buildCatalog(count: number): PlannedPermission[] {
  const out: PlannedPermission[] = []
  const longest = Math.max(...resources.map(([, actions]) => actions.length))
  for (let tier = 0; tier < longest && out.length < count; tier++) {
    for (const [resource, actions] of resources) {
      const action = actions[tier]
      if (action === undefined) continue
      out.push({ key: `${resource}.${action}`, description: describe(resource, action) })
      if (out.length === count) return out
    }
  }
  for (let n = 1; out.length < count; n++) {
    for (const action of [...crud, 'export']) {
      out.push({ key: `custom_objects.object_${n}.${action}`, description: describe(`custom object ${n}`, action) })
      if (out.length === count) break
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Organizations.

const namePrefixes = [
  'Northwind', 'Blue Harbor', 'Acme', 'Summit', 'Redwood', 'Silver Lake', 'Ironclad', 'Brightline', 'Cobalt',
  'Evergreen', 'Granite', 'Harborview', 'Keystone', 'Lakeshore', 'Maple Street', 'Meridian', 'Nimbus',
  'Oakridge', 'Pinnacle', 'Quantum', 'Riverbend', 'Sierra', 'Starlight', 'Tidewater', 'Vanguard',
  'Westfield', 'Zenith', 'Aurora', 'Beacon', 'Cascade', 'Driftwood', 'Falcon', 'Golden Gate', 'Highland',
  'Juniper', 'Lumen', 'Monarch', 'Northstar', 'Orchard', 'Polaris', 'Redstone', 'Sapphire', 'Trailhead',
  'Upland', 'Wildflower', 'Bluebird', 'Copperline', 'Foxglove', 'Hearthstone', 'Kingfisher', 'Larkspur',
  'Moonrise', 'Old Mill', 'Palisade', 'Quarry', 'Sandpiper', 'Thornbury', 'Windward',
]
const nameSuffixes = [
  'Logistics', 'Realty', 'Insurance', 'Software', 'Health', 'Capital', 'Solar', 'Foods', 'Manufacturing',
  'Consulting', 'Media', 'Analytics', 'Motors', 'Telecom', 'Pharma', 'Retail', 'Energy', 'Labs', 'Partners',
  'Group', 'Traders', 'Systems', 'Outfitters', 'Freight', 'Dental', 'Brewing', 'Robotics', 'Security',
]

const toSlug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)

function buildOrgs(count: number, rng: Rng): PlannedOrg[] {
  const seen = new Set<string>()
  const orgs: PlannedOrg[] = []
  while (orgs.length < count) {
    let name = `${rng.pick(namePrefixes)} ${rng.pick(nameSuffixes)}`
    let slug = toSlug(name)
    // Past the name pool (about 1,600 pairs), numbered branches keep slugs unique.
    for (let n = 2; seen.has(slug); n++) {
      if (n > 3 && seen.size < namePrefixes.length * nameSuffixes.length) break
      name = `${name.replace(/ \d+$/, '')} ${n}`
      slug = toSlug(name)
    }
    if (seen.has(slug)) continue
    seen.add(slug)
    orgs.push({ slug, name })
  }
  return orgs
}

/**
 * How popular each organization is: Zipf weights (1/rank), so that with 10,000 users over 50
 * organizations the largest has a few thousand members and the smallest a few dozen.
 */
export function orgWeights(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 / (i + 1))
}

// ---------------------------------------------------------------------------------------------
// Roles: templates that grant permissions by resource and action, some inheriting others.

interface RoleTemplate {
  name: string
  /** How many members hold it, relative to the others in an organization. */
  popularity: number
  /** How common it is among organizations, relative to the others. */
  prevalence: number
  parent?: string
  /** Resources matched by prefix ('*' for all) and the actions granted on them ('*' for all). */
  grants: [string[], string[]][]
}

const salesRecords = ['deals', 'contacts', 'companies', 'leads', 'accounts', 'activities', 'tasks', 'meetings', 'calls', 'emails', 'notes', 'quotes', 'calendar']
const everyResource = ['*']

// Parents are listed before the roles that inherit them: creating in this order never fails,
// and no inheritance can close a cycle.
const templates: RoleTemplate[] = [
  { name: 'admin', popularity: 0.4, prevalence: 1000, grants: [[everyResource, ['*']]] },
  { name: 'viewer', popularity: 6, prevalence: 6, grants: [[['deals', 'contacts', 'companies', 'accounts', 'reports', 'dashboards', 'files', 'projects', 'tasks', 'knowledge_base', 'calendar'], ['view']]] },
  {
    name: 'sales-rep',
    popularity: 14,
    prevalence: 12,
    grants: [
      [salesRecords, ['view', 'create', 'edit', 'comment', 'send', 'schedule', 'record', 'complete', 'invite', 'convert', 'qualify', 'clone']],
      [['commissions', 'forecasts', 'products', 'price_books', 'dashboards', 'files'], ['view']],
      [['deals.notes', 'deals.attachments', 'contacts.notes'], ['*']],
      [['forecasts'], ['submit']],
      [['commissions.disputes'], ['view', 'create']],
      [['files'], ['upload', 'download']],
    ],
  },
  {
    name: 'sales-manager',
    popularity: 3,
    prevalence: 10,
    parent: 'sales-rep',
    grants: [
      [salesRecords, ['delete', 'assign', 'export', 'approve', 'reopen', 'close', 'transfer', 'merge', 'bulk_edit']],
      [['forecasts', 'quotas', 'territories', 'pipelines', 'deals.stages'], ['view', 'edit', 'approve', 'assign', 'override']],
      [['reports', 'dashboards', 'reports.schedules'], ['view', 'create', 'edit', 'run', 'share', 'export', 'schedule']],
      [['teams'], ['view']],
      [['commissions.disputes'], ['resolve']],
    ],
  },
  {
    name: 'sales-director',
    popularity: 1,
    prevalence: 4,
    parent: 'sales-manager',
    grants: [
      [['commissions', 'commission_plans', 'quotas', 'territories', 'forecasts', 'commissions.adjustments'], ['*']],
      [['analytics', 'teams'], ['*']],
    ],
  },
  {
    name: 'sdr',
    popularity: 8,
    prevalence: 5,
    grants: [
      [['leads'], ['*']],
      [['contacts', 'companies', 'activities', 'calls', 'emails', 'meetings', 'tasks', 'calendar'], ['view', 'create', 'edit', 'send', 'schedule', 'record', 'complete']],
      [['email_templates'], ['view']],
    ],
  },
  {
    name: 'account-manager',
    popularity: 6,
    prevalence: 6,
    grants: [
      [['accounts', 'contacts', 'companies', 'activities', 'notes', 'meetings'], ['view', 'create', 'edit', 'comment', 'invite']],
      [['orders', 'invoices', 'contracts', 'subscriptions'], ['view']],
      [['contracts'], ['renew']],
      [['tickets'], ['view', 'create', 'comment']],
    ],
  },
  {
    name: 'marketing-specialist',
    popularity: 5,
    prevalence: 4,
    grants: [
      [['campaigns', 'segments', 'forms', 'landing_pages', 'email_templates', 'surveys'], ['view', 'create', 'edit', 'clone', 'refresh']],
      [['files'], ['view', 'upload', 'download']],
      [['analytics', 'dashboards', 'contacts', 'leads'], ['view']],
    ],
  },
  {
    name: 'marketing-manager',
    popularity: 1,
    prevalence: 3,
    parent: 'marketing-specialist',
    grants: [
      [['campaigns', 'segments', 'forms', 'landing_pages', 'email_templates', 'surveys'], ['*']],
      [['reports', 'analytics'], ['view', 'create', 'run', 'export']],
    ],
  },
  {
    name: 'support-agent',
    popularity: 8,
    prevalence: 5,
    grants: [
      [['tickets'], ['view', 'create', 'edit', 'comment', 'assign', 'close', 'reopen']],
      [['chat'], ['*']],
      [['knowledge_base', 'contacts', 'accounts', 'orders'], ['view']],
    ],
  },
  {
    name: 'support-lead',
    popularity: 1,
    prevalence: 3,
    parent: 'support-agent',
    grants: [
      [['tickets', 'knowledge_base', 'surveys'], ['*']],
      [['reports', 'dashboards'], ['view', 'run', 'export']],
    ],
  },
  {
    name: 'finance-analyst',
    popularity: 2,
    prevalence: 4,
    grants: [
      [['invoices', 'payments', 'orders', 'commissions', 'expenses', 'contracts', 'invoices.line_items'], ['view', 'export', 'calculate', 'reconcile']],
      [['reports', 'dashboards'], ['view', 'create', 'run', 'export']],
    ],
  },
  {
    name: 'finance-manager',
    popularity: 1,
    prevalence: 3,
    parent: 'finance-analyst',
    grants: [
      [['invoices', 'payments', 'invoices.line_items', 'expenses'], ['*']],
      [['commissions'], ['approve', 'pay', 'lock', 'adjust']],
      [['commissions.adjustments'], ['*']],
      [['payroll'], ['view', 'approve']],
    ],
  },
  {
    name: 'compensation-admin',
    popularity: 1,
    prevalence: 2,
    parent: 'finance-analyst',
    grants: [[['commissions', 'commission_plans', 'quotas', 'commissions.disputes', 'commissions.adjustments', 'territories'], ['*']]],
  },
  { name: 'auditor', popularity: 1, prevalence: 4, grants: [[everyResource, ['view', 'export']], [['audit_log'], ['*']]] },
  {
    name: 'project-manager',
    popularity: 2,
    prevalence: 3,
    grants: [
      [['projects', 'tasks', 'files', 'files.folders', 'documents'], ['*']],
      [['timesheets'], ['view', 'approve', 'export']],
      [['teams', 'calendar'], ['view', 'edit']],
    ],
  },
  {
    name: 'contributor',
    popularity: 6,
    prevalence: 3,
    grants: [
      [['projects'], ['view', 'comment']],
      [['tasks'], ['view', 'create', 'edit', 'complete', 'comment']],
      [['files', 'documents'], ['view', 'upload', 'download', 'edit']],
      [['timesheets', 'expenses'], ['view', 'create', 'edit', 'submit']],
    ],
  },
  {
    name: 'hr-partner',
    popularity: 1,
    prevalence: 2,
    grants: [
      [['employees', 'teams'], ['*']],
      [['payroll', 'timesheets', 'expenses'], ['view']],
    ],
  },
  {
    name: 'it-admin',
    popularity: 1,
    prevalence: 3,
    grants: [
      [['users', 'roles', 'groups', 'settings', 'integrations', 'api_keys', 'webhooks', 'users.sessions', 'users.mfa', 'settings.security', 'integrations.salesforce', 'integrations.slack', 'integrations.hubspot', 'workflows', 'custom_fields'], ['*']],
      [['audit_log'], ['view']],
    ],
  },
  {
    name: 'billing-admin',
    popularity: 1,
    prevalence: 2,
    grants: [
      [['billing', 'subscriptions', 'billing.payment_methods'], ['*']],
      [['invoices', 'payments'], ['view', 'export']],
    ],
  },
  { name: 'contractor', popularity: 2, prevalence: 2, grants: [[['tasks'], ['view', 'edit', 'complete']], [['files'], ['view', 'upload']], [['timesheets'], ['create', 'submit']]] },
  { name: 'partner', popularity: 2, prevalence: 1, grants: [[['deals', 'leads'], ['view', 'create']], [['files'], ['download']], [['commissions'], ['view']]] },
  { name: 'guest', popularity: 1, prevalence: 1, grants: [[['files', 'knowledge_base', 'projects'], ['view']]] },
]
const templateByName = new Map(templates.map((t) => [t.name, t]))
const regions = ['emea', 'apac', 'na', 'latam', 'dach', 'nordics', 'uk', 'anz']

const matches = (key: string, grants: [string[], string[]][]): boolean => {
  const { resource, action } = splitKey(key)
  return grants.some(
    ([res, acts]) => (res.includes('*') || res.some((r) => resource === r || resource.startsWith(`${r}.`))) && (acts.includes('*') || acts.includes(action)),
  )
}

interface RoleSpec {
  name: string
  template: RoleTemplate
  parent?: string
}

/**
 * The roles of one organization: admin first, then templates by prevalence (a template's parent
 * comes with it), then regional variants (`sales-rep-emea` inheriting `sales-rep`) when an
 * organization has more roles than there are templates.
 */
function chooseRoleSpecs(count: number, rng: Rng): RoleSpec[] {
  const chosen = new Set<string>()
  const add = (template: RoleTemplate) => {
    if (template.parent && !chosen.has(template.parent) && chosen.size < count) add(templateByName.get(template.parent)!)
    if (chosen.size < count) chosen.add(template.name)
  }
  const order = rng.sampleWeighted(templates, templates.map((t) => t.prevalence), templates.length)
  for (const template of order) {
    if (chosen.size >= count) break
    add(template)
  }
  // Templates first in their declared order (parents before heirs), then regional variants.
  const specs: RoleSpec[] = templates.filter((t) => chosen.has(t.name)).map((t) => ({ name: t.name, template: t, parent: t.parent }))
  const bases = specs.filter((s) => s.name !== 'admin')
  for (let i = 0; specs.length < count; i++) {
    const base = bases.length > 0 ? bases[i % bases.length]! : specs[0]!
    const region = regions[Math.floor(i / Math.max(1, bases.length)) % regions.length]!
    const round = Math.floor(i / Math.max(1, bases.length * regions.length))
    specs.push({ name: `${base.name}-${region}${round > 0 ? `-${round + 1}` : ''}`, template: base.template, parent: base.name })
  }
  return specs
}

/** Splits `total` over items by weight (largest remainder), at least `min` each while it lasts. */
function apportion(total: number, weights: number[], min: number): number[] {
  const n = weights.length
  const floor = Math.min(min, Math.floor(total / Math.max(1, n)))
  const counts = weights.map(() => floor)
  let left = total - floor * n
  if (floor < min) {
    for (let i = 0; i < n && left > 0; i++, left--) counts[i]!++
    return counts
  }
  const sum = weights.reduce((a, b) => a + b, 0)
  const shares = weights.map((w) => (w / sum) * left)
  shares.forEach((s, i) => (counts[i]! += Math.floor(s)))
  left -= shares.reduce((a, s) => a + Math.floor(s), 0)
  const byRemainder = shares.map((s, i) => [s - Math.floor(s), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (let k = 0; left > 0; k = (k + 1) % n, left--) counts[byRemainder[k]![1]]!++
  return counts
}

function buildRoles(orgs: PlannedOrg[], catalog: PlannedPermission[], total: number, rng: Rng): { roles: PlannedRole[]; popularity: Map<string, number> } {
  // Larger organizations have more roles: weights grow with the square root of their size.
  const counts = apportion(total, orgWeights(orgs.length).map(Math.sqrt), 2)
  const keys = catalog.map((p) => p.key)
  const granted = new Map<string, string[]>()
  const grantedBy = (template: RoleTemplate): string[] => {
    let found = granted.get(template.name)
    if (!found) granted.set(template.name, (found = keys.filter((k) => matches(k, template.grants))))
    return found
  }
  const roles: PlannedRole[] = []
  const popularity = new Map<string, number>()
  orgs.forEach((org, i) => {
    const effective = new Map<string, Set<string>>()
    for (const spec of chooseRoleSpecs(counts[i]!, rng)) {
      const inherited = spec.parent ? effective.get(spec.parent)! : new Set<string>()
      const isVariant = spec.name !== spec.template.name
      let own: string[]
      if (isVariant) {
        // A regional variant: its base's permissions plus a few extra ones from the catalog.
        own = rng.shuffle(keys.filter((k) => !inherited.has(k))).slice(0, 1 + rng.int(4))
      } else {
        // Organizations tailor the templates: each keeps 70 to 100% of a template's grants.
        const keep = spec.name === 'admin' ? 1 : 0.7 + 0.3 * rng.next()
        own = grantedBy(spec.template).filter((k) => !inherited.has(k) && rng.next() < keep)
        if (own.length === 0 && inherited.size === 0) own = [rng.pick(keys)]
      }
      own.sort()
      effective.set(spec.name, new Set([...inherited, ...own]))
      roles.push({ org: org.slug, name: spec.name, permissions: own, inherits: spec.parent ? [spec.parent] : [] })
      popularity.set(`${org.slug}\u0000${spec.name}`, spec.template.popularity * (isVariant ? 0.5 : 1))
    }
  })
  return { roles, popularity }
}

// ---------------------------------------------------------------------------------------------
// Users and memberships.

const firstNames = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Isabella', 'James', 'Mia', 'William',
  'Amelia', 'Benjamin', 'Harper', 'Lucas', 'Evelyn', 'Henry', 'Abigail', 'Alexander', 'Emily', 'Daniel', 'Ella',
  'Mateo', 'Camila', 'Sebastian', 'Aria', 'Jack', 'Scarlett', 'Owen', 'Priya', 'Arjun', 'Mei', 'Hiroshi', 'Yuki',
  'Fatima', 'Omar', 'Aisha', 'Chinedu', 'Ngozi', 'Lars', 'Ingrid', 'Sven', 'Freya', 'Matteo', 'Giulia', 'Luca',
  'Sofia', 'Pierre', 'Camille', 'Hugo', 'Lea', 'Jonas', 'Lena', 'Felix', 'Clara', 'Diego', 'Valentina', 'Rafael',
  'Lucia', 'Andrei', 'Elena', 'Dmitri', 'Anya', 'Kwame', 'Ama', 'Tariq', 'Leila', 'Ravi', 'Ananya', 'Wei', 'Lin',
]
const lastNames = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez',
  'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen',
  'King', 'Wright', 'Scott', 'Patel', 'Shah', 'Kumar', 'Singh', 'Chen', 'Wang', 'Li', 'Zhang', 'Tanaka', 'Sato',
  'Suzuki', 'Kim', 'Park', 'Nguyen', 'Tran', 'Okafor', 'Adeyemi', 'Mensah', 'Haddad', 'Khan', 'Ali', 'Hansen',
  'Johansson', 'Nielsen', 'Rossi', 'Russo', 'Bianchi', 'Dubois', 'Moreau', 'Laurent', 'Muller', 'Schmidt',
  'Schneider', 'Fischer', 'Weber', 'Novak', 'Kowalski', 'Ivanov', 'Petrov', "O'Brien", 'Murphy', 'Kelly',
]

const dayMs = 86_400_000
const base36 = '0123456789abcdefghijklmnopqrstuvwxyz'
const emailPart = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '')

function buildUsersAndMemberships(
  count: number,
  orgs: PlannedOrg[],
  roles: PlannedRole[],
  popularity: Map<string, number>,
  now: Date,
  rng: Rng,
): { users: PlannedUser[]; memberships: PlannedMembership[] } {
  const rolesByOrg = new Map<string, PlannedRole[]>()
  for (const role of roles) rolesByOrg.set(role.org, [...(rolesByOrg.get(role.org) ?? []), role])
  // Only organizations with at least one role can have members (every member holds a role).
  const weights = orgWeights(orgs.length).map((w, i) => (rolesByOrg.has(orgs[i]!.slug) ? w : 0))
  const usable = weights.filter((w) => w > 0).length

  const ids = new Set<string>()
  const emails = new Set<string>()
  const users: PlannedUser[] = []
  const memberships: PlannedMembership[] = []
  for (let n = 0; n < count; n++) {
    let id: string
    do {
      id = 'usr_'
      for (let c = 0; c < 12; c++) id += base36[rng.int(36)]
    } while (ids.has(id))
    ids.add(id)

    // Half the users belong to one organization, three in ten to two, two in ten to three.
    const r = rng.next()
    const orgCount = Math.min(usable, r < 0.5 ? 1 : r < 0.8 ? 2 : 3)
    const userOrgs = usable === 0 ? [] : rng.sampleWeighted(orgs, weights, orgCount)

    const first = rng.pick(firstNames)
    const last = rng.pick(lastNames)
    const domain = `${userOrgs[0]?.slug ?? 'example'}.example`
    let email = `${emailPart(first)}.${emailPart(last)}@${domain}`
    for (let k = 2; emails.has(email); k++) email = `${emailPart(first)}.${emailPart(last)}${k}@${domain}`
    emails.add(email)
    // A few accounts have no display name; single sign-on accounts never set a password.
    const name = rng.next() < 0.03 ? null : `${first} ${last}`
    const passwordChangedAt = rng.next() < 0.08 ? null : new Date(now.getTime() - Math.floor(rng.next() * 200 * dayMs)).toISOString()
    users.push({ id, email, name, passwordChangedAt })

    for (const org of userOrgs) {
      const orgRoles = rolesByOrg.get(org.slug)!
      const roleWeights = orgRoles.map((role) => popularity.get(`${org.slug}\u0000${role.name}`) ?? 1)
      const held = rng.sampleWeighted(orgRoles, roleWeights, rng.next() < 0.7 ? 1 : 2).map((role) => role.name)
      memberships.push({ org: org.slug, user: id, roles: held.sort() })
    }
  }
  return { users, memberships }
}

// ---------------------------------------------------------------------------------------------

const startOfTodayUtc = (): Date => new Date(Math.floor(Date.now() / dayMs) * dayMs)

/** The whole plan. Deterministic: the same options always give the same plan. */
export function buildPlan(options: PlanOptions): SeedPlan {
  for (const name of ['orgs', 'roles', 'permissions', 'users'] as const) {
    const value = options[name]
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
  }
  const resolved: Required<PlanOptions> = { ...options, now: options.now ?? startOfTodayUtc() }
  const permissions = buildCatalog(options.permissions)
  const orgs = buildOrgs(options.orgs, stream(options.seed, 'orgs'))
  const { roles, popularity } =
    permissions.length === 0 ? { roles: [], popularity: new Map<string, number>() } : buildRoles(orgs, permissions, options.roles, stream(options.seed, 'roles'))
  const { users, memberships } = buildUsersAndMemberships(options.users, orgs, roles, popularity, resolved.now, stream(options.seed, 'users'))
  return { options: resolved, permissions, orgs, roles, users, memberships }
}

// ---------------------------------------------------------------------------------------------
// What the plan implies: effective permissions, sizes, and realistic check requests.

/** Effective permissions per organization and role (own and inherited, transitively). */
export function roleClosure(plan: SeedPlan): Map<string, Map<string, ReadonlySet<string>>> {
  const byOrg = new Map<string, Map<string, ReadonlySet<string>>>()
  for (const role of plan.roles) {
    // Roles are in creation order, so every parent's closure is known already.
    let orgRoles = byOrg.get(role.org)
    if (!orgRoles) byOrg.set(role.org, (orgRoles = new Map()))
    const set = new Set(role.permissions)
    for (const parent of role.inherits) for (const key of orgRoles.get(parent) ?? []) set.add(key)
    orgRoles.set(role.name, set)
  }
  return byOrg
}

/** Member counts per organization, largest first. */
export function orgSizes(plan: SeedPlan): { org: string; members: number }[] {
  const counts = new Map<string, number>(plan.orgs.map((o) => [o.slug, 0]))
  for (const m of plan.memberships) counts.set(m.org, (counts.get(m.org) ?? 0) + 1)
  return [...counts].map(([org, members]) => ({ org, members })).sort((a, b) => b.members - a.members || a.org.localeCompare(b.org))
}

/** The longest inheritance chain (a role with no parent has depth 1). */
export function deepestInheritance(plan: SeedPlan): number {
  const depth = new Map<string, number>()
  let deepest = 0
  for (const role of plan.roles) {
    const d = 1 + Math.max(0, ...role.inherits.map((p) => depth.get(`${role.org}\u0000${p}`) ?? 0))
    depth.set(`${role.org}\u0000${role.name}`, d)
    deepest = Math.max(deepest, d)
  }
  return deepest
}

export interface PlannedCheck {
  org: string
  user: string
  permission: string
  /** The answer the plan implies once it is applied. */
  expected: boolean
}

/**
 * `count` check requests as an application would send them: a member acting in one of their
 * organizations (so large organizations get most of the traffic), asking for a permission they
 * hold (`allowedShare` of the checks), one they lack, or (a few) in an organization they are
 * not a member of.
 */
export function pickChecks(plan: SeedPlan, options: { count: number; seed?: number; allowedShare?: number }): PlannedCheck[] {
  const rng = stream(options.seed ?? plan.options.seed, 'checks')
  const allowedShare = options.allowedShare ?? 0.65
  const closure = roleClosure(plan)
  const keys = plan.permissions.map((p) => p.key)
  const held = new Map(plan.memberships.map((m) => [`${m.org}\u0000${m.user}`, m.roles]))
  const effectiveOf = (org: string, user: string): Set<string> => {
    const set = new Set<string>()
    for (const role of held.get(`${org}\u0000${user}`) ?? []) for (const key of closure.get(org)?.get(role) ?? []) set.add(key)
    return set
  }
  const checks: PlannedCheck[] = []
  if (plan.memberships.length === 0 || keys.length === 0) return checks
  while (checks.length < options.count) {
    const m = rng.pick(plan.memberships)
    const r = rng.next()
    // Three in a hundred: the user acts in some organization, quite likely not one of theirs.
    const org = r >= 0.97 ? rng.pick(plan.orgs).slug : m.org
    const effective = effectiveOf(org, m.user)
    let permission: string
    if (r < allowedShare && effective.size > 0) {
      permission = rng.pick([...effective])
    } else {
      permission = rng.pick(keys)
      for (let tries = 0; effective.has(permission) && tries < 50; tries++) permission = rng.pick(keys)
    }
    checks.push({ org, user: m.user, permission, expected: effective.has(permission) })
  }
  return checks
}
