// Data for the permission service's tests and its neighbours', made through its HTTP API (so every
// write takes the real path: revisions, outbox events, invalidations), under names nobody else uses.
import { randomBytes } from 'node:crypto'
import { expect2xx, type JsonClient } from './json-client.ts'
import type { JsonResponse } from './read-json-response.ts'

const suffix = () => randomBytes(4).toString('hex')

/** An organization slug nobody else uses: `<prefix>-<random>`. */
export const uniqueSlug = (prefix = 'org'): string => `${prefix}-${suffix()}`

/** A user id nobody else uses: `<prefix>.<random>`. */
export const uniqueUser = (prefix = 'user'): string => `${prefix}.${suffix()}`

export interface OrgFixtureSpec<Member extends string = never, User extends string = never> {
  /** Permission keys to have in the catalog (created if missing). */
  permissions?: string[]
  /** Roles in creation order: a role's parents must come before it. */
  roles?: Record<string, { permissions: string[]; inherits?: string[] }>
  /** Members by short name: each gets a unique user id and the roles listed. */
  members?: Record<Member, string[]>
  /** Users to create without any membership, by short name. */
  users?: User[]
  /** Prefix of the organization's slug. */
  slugPrefix?: string
}

export interface OrgFixture<Name extends string = string> {
  slug: string
  orgId: string
  /** Unique user ids by short name (members and plain users). */
  users: Record<Name, string>
  /** The organization's revision after the last write of the fixture. */
  revision: string
}

/** Creates the permissions if they do not exist yet (the catalog is global to a database). */
export async function ensurePermissions(client: JsonClient, keys: string[]): Promise<void> {
  for (const key of keys) {
    const res = await client.post('/v1/permissions', { key, description: `test permission ${key}` })
    if (res.status !== 201 && res.status !== 409) throw new Error(`POST /v1/permissions ${key}: ${res.status} ${res.text}`)
  }
}

/** Creates (or updates) a user with an e-mail address derived from its id. */
export async function createUser(client: JsonClient, id: string, body: Record<string, unknown> = {}): Promise<JsonResponse> {
  const res = await client.put(`/v1/users/${encodeURIComponent(id)}`, { email: `${id.replace(/[^A-Za-z0-9]/g, '-')}@example.test`, ...body })
  if (res.status !== 200) throw new Error(`PUT /v1/users/${id}: ${res.status} ${res.text}`)
  return res
}

/**
 * An organization with permissions, roles, users and memberships, made through the API: one call
 * per write, in the order given. Throws on any unexpected answer.
 */
export async function createOrgFixture<Member extends string = never, User extends string = never>(
  client: JsonClient,
  spec: OrgFixtureSpec<Member, User> = {},
): Promise<OrgFixture<Member | User>> {
  const rolePermissions = Object.values(spec.roles ?? {}).flatMap((r) => r.permissions)
  await ensurePermissions(client, [...new Set([...(spec.permissions ?? []), ...rolePermissions])])
  const slug = uniqueSlug(spec.slugPrefix)
  const org = expect2xx(await client.post('/v1/orgs', { slug, name: `Org ${slug}` }), `POST /v1/orgs ${slug}`)
  let revision: string = org.body.revision
  for (const [name, role] of Object.entries(spec.roles ?? {})) {
    revision = expect2xx(await client.post(`/v1/orgs/${slug}/roles`, { name, ...role }), `POST role ${name}`).body.revision
  }
  const users: Record<string, string> = {}
  for (const name of [...(spec.users ?? []), ...Object.keys(spec.members ?? {})]) {
    users[name] ??= uniqueUser(name)
    await createUser(client, users[name])
  }
  for (const [name, roles] of Object.entries<string[]>(spec.members ?? ({} as Record<Member, string[]>))) {
    revision = expect2xx(await client.put(`/v1/orgs/${slug}/members/${users[name]}`, { roles }), `PUT member ${name}`).body.revision
  }
  return { slug, orgId: org.body.id, users: users as Record<Member | User, string>, revision }
}
