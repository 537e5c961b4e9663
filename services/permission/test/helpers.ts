// Shared helpers of the permission service's tests: the app under test, a tiny HTTP client,
// assertions on the contract's error shape, a fixture builder, outbox access and a gRPC client.
// Every test file starts its own app (its own database and Redis prefix); tests inside a file
// use slugs and user ids of their own, so nothing leaks between tests.
import { randomBytes } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { readJsonResponse, startTestApp, type TestApp } from '@latchkey/testing'
import pg from 'pg'
import type tap from 'tap'
import { loadPermissionService, permissionTarget } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

/** The `t` a test callback receives. */
export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0]

/**
 * The program with only the permission service, on free ports, a database and Redis prefix of its
 * own (or, with `databaseUrl`, another app's database: a second replica).
 */
export async function startPermissionApp(
  t: Teardown,
  env: Record<string, string> = {},
  options: { databaseUrl?: string } = {},
): Promise<TestApp & { grpcPort: number }> {
  const testApp = await startTestApp(t, { registry: { permission: permissionTarget }, env, ...options })
  return Object.assign(testApp, { grpcPort: testApp.app.grpcPort })
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const suffix = () => randomBytes(4).toString('hex')

/** An organization slug nobody else uses: `<prefix>-<random>`. */
export const uniqueSlug = (prefix = 'org'): string => `${prefix}-${suffix()}`

/** A user id nobody else uses: `<prefix>.<random>`. */
export const uniqueUser = (prefix = 'user'): string => `${prefix}.${suffix()}`

// ---------------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------------

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  /** The parsed JSON body (undefined when the body was empty or not JSON). */
  body: T
  text: string
}

export interface RequestOptions {
  headers?: Record<string, string>
  /** Sent as is instead of JSON-encoding `body`. */
  raw?: string | Uint8Array
}

export interface Api {
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>
  get<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>
  put<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>
  delete<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>
}

/** A small JSON client for `baseUrl` (fetch, built in). A body given as an object is sent as JSON. */
export function api(baseUrl: string): Api {
  const request = async <T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers }
    let payload: string | Uint8Array | undefined
    if (options.raw !== undefined) payload = options.raw
    else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload })
    return readJsonResponse<T>(response)
  }
  return {
    request,
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body, options) => request('POST', path, body, options),
    put: (path, body, options) => request('PUT', path, body, options),
    patch: (path, body, options) => request('PATCH', path, body, options),
    delete: (path, options) => request('DELETE', path, undefined, options),
  }
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/** The response is the contract's error `{statusCode, code, error, message}` with this status and code. */
export function assertApiError(t: TapTest, res: ApiResponse, status: number, code: string | RegExp, what = ''): void {
  const label = what ? `${what}: ` : ''
  t.equal(res.status, status, `${label}answers ${status}`, { response: res.text.slice(0, 500) })
  assertErrorShape(t, res, what)
  if (typeof code === 'string') t.equal(res.body?.code, code, `${label}code ${code}`)
  else t.match(res.body?.code, code, `${label}code matches ${code}`)
}

/** The body has exactly the contract's error fields, an LK_ code, and repeats the HTTP status. */
export function assertErrorShape(t: TapTest, res: ApiResponse, what = ''): void {
  const label = what ? `${what}: ` : ''
  const body = res.body as Record<string, unknown> | undefined
  t.same(Object.keys(body ?? {}).sort(), ['code', 'error', 'message', 'statusCode'], `${label}error shape {statusCode, code, error, message}`)
  t.equal(body?.statusCode, res.status, `${label}statusCode repeats the HTTP status`)
  t.match(body?.code, /^LK_[A-Z0-9_]+$/, `${label}code starts with LK_`)
  t.ok(typeof body?.error === 'string' && body.error.length > 0, `${label}error is a non-empty string`)
  t.ok(typeof body?.message === 'string' && body.message.length > 0, `${label}message is a non-empty string`)
}

/** A revision: a string of digits. */
export const revisionPattern = /^[0-9]+$/

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

export interface FixtureSpec<Member extends string = never, User extends string = never> {
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

export interface Fixture<Name extends string = string> {
  slug: string
  orgId: string
  /** Unique user ids by short name (members and plain users). */
  users: Record<Name, string>
  /** The organization's revision after the last write of the fixture. */
  revision: string
}

/** Creates the permissions if they do not exist yet (the catalog is global to a database). */
export async function ensurePermissions(client: Api, keys: string[]): Promise<void> {
  for (const key of keys) {
    const res = await client.post('/v1/permissions', { key, description: `test permission ${key}` })
    if (res.status !== 201 && res.status !== 409) throw new Error(`POST /v1/permissions ${key}: ${res.status} ${res.text}`)
  }
}

/** Creates (or updates) a user with an e-mail address derived from its id. */
export async function createUser(client: Api, id: string, body: Record<string, unknown> = {}): Promise<ApiResponse> {
  const res = await client.put(`/v1/users/${encodeURIComponent(id)}`, { email: `${id.replace(/[^A-Za-z0-9]/g, '-')}@example.test`, ...body })
  if (res.status !== 200) throw new Error(`PUT /v1/users/${id}: ${res.status} ${res.text}`)
  return res
}

async function expect2xx(res: ApiResponse, what: string): Promise<ApiResponse> {
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${res.text}`)
  return res
}

/**
 * An organization with permissions, roles, users and memberships, made through the API:
 * one call per write, in the order given. Throws on any unexpected answer.
 */
export async function createFixture<Member extends string = never, User extends string = never>(
  client: Api,
  spec: FixtureSpec<Member, User> = {},
): Promise<Fixture<Member | User>> {
  const rolePermissions = Object.values(spec.roles ?? {}).flatMap((r) => r.permissions)
  await ensurePermissions(client, [...new Set([...(spec.permissions ?? []), ...rolePermissions])])
  const slug = uniqueSlug(spec.slugPrefix)
  const org = await expect2xx(await client.post('/v1/orgs', { slug, name: `Org ${slug}` }), `POST /v1/orgs ${slug}`)
  let revision: string = org.body.revision
  for (const [name, role] of Object.entries(spec.roles ?? {})) {
    const res = await expect2xx(await client.post(`/v1/orgs/${slug}/roles`, { name, ...role }), `POST role ${name}`)
    revision = res.body.revision
  }
  const users: Record<string, string> = {}
  for (const name of [...(spec.users ?? []), ...Object.keys(spec.members ?? {})]) {
    users[name] ??= uniqueUser(name)
    await createUser(client, users[name])
  }
  for (const [name, roles] of Object.entries<string[]>(spec.members ?? ({} as Record<Member, string[]>))) {
    const res = await expect2xx(await client.put(`/v1/orgs/${slug}/members/${users[name]}`, { roles }), `PUT member ${name}`)
    revision = res.body.revision
  }
  return { slug, orgId: org.body.id, users: users as Record<Member | User, string>, revision }
}

/** POST /v1/check, answering the parsed body (throws unless 200). */
export async function checkAllowed(
  client: Api,
  input: { org: string; user: string; permission: string; atLeastRevision?: string | number },
): Promise<{ allowed: boolean; revision: string }> {
  const res = await client.post('/v1/check', input)
  if (res.status !== 200) throw new Error(`POST /v1/check ${JSON.stringify(input)}: ${res.status} ${res.text}`)
  return res.body
}

/** The organization's current revision, read with GET /v1/orgs/:org. */
export async function orgRevision(client: Api, slug: string): Promise<string> {
  const res = await client.get(`/v1/orgs/${slug}`)
  if (res.status !== 200) throw new Error(`GET /v1/orgs/${slug}: ${res.status} ${res.text}`)
  return res.body.revision
}

// ---------------------------------------------------------------------------------------------
// The test's database
// ---------------------------------------------------------------------------------------------

export interface OutboxRow {
  id: string
  type: string
  org_id: string | null
  org_seq: string | null
  payload: Record<string, unknown>
  trace_context: Record<string, string>
}

/** Runs one query on the test app's own database. */
export async function query<R extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

/** Outbox rows in insertion order, optionally only those after `afterId` (org_seq as a string). */
export async function outboxRows(databaseUrl: string, afterId = '0'): Promise<OutboxRow[]> {
  return query<OutboxRow>(
    databaseUrl,
    'SELECT id::text, type, org_id::text, org_seq::text, payload, trace_context FROM outbox_events WHERE id > $1::bigint ORDER BY id',
    [afterId],
  )
}

/** The id of the newest outbox row ('0' when there is none): a mark to read what comes after. */
export async function outboxMark(databaseUrl: string): Promise<string> {
  const rows = await query<{ id: string | null }>(databaseUrl, 'SELECT max(id)::text AS id FROM outbox_events')
  return rows[0]?.id ?? '0'
}

/** Row counts of the permission service's tables, to show that a refused request changed nothing. */
export async function tableCounts(databaseUrl: string): Promise<Record<string, number>> {
  const tables = ['organizations', 'permissions', 'users', 'roles', 'role_permissions', 'role_inheritance', 'member_roles', 'outbox_events']
  const rows = await query<{ name: string; count: number }>(
    databaseUrl,
    tables.map((name) => `SELECT '${name}' AS name, count(*)::int AS count FROM ${name}`).join(' UNION ALL '),
  )
  return Object.fromEntries(rows.map((r) => [r.name, r.count]))
}

// ---------------------------------------------------------------------------------------------
// gRPC
// ---------------------------------------------------------------------------------------------

export interface GrpcCheckRequest {
  org: string
  user: string
  permission: string
  atLeastRevision?: string
}

export interface PermissionGrpcClient {
  check(request: GrpcCheckRequest): Promise<{ allowed: boolean; revision: string }>
  bulkCheck(request: { checks: GrpcCheckRequest[] }): Promise<{ results: { allowed: boolean; revision: string }[] }>
  listPermissions(request: { org: string; user: string; atLeastRevision?: string }): Promise<{ permissions: string[]; revision: string }>
  close(): void
}

/** A client of the shipped .proto on `127.0.0.1:port`, with promise-returning methods; closed at teardown. */
export function grpcClient(t: Teardown, port: number): PermissionGrpcClient {
  const Client = loadPermissionService()
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>
  const call =
    <Req, Res>(method: string) =>
    (request: Req) =>
      new Promise<Res>((resolve, reject) =>
        client[method]!.call(client, request, (err: grpc.ServiceError | null, response: Res) => (err ? reject(err) : resolve(response))),
      )
  t.teardown(() => client.close())
  return {
    check: call('Check'),
    bulkCheck: call('BulkCheck'),
    listPermissions: call('ListPermissions'),
    close: () => client.close(),
  }
}
