// Shared helpers of the permission service's tests: the app under test, assertions on the
// contract's error shape, outbox access and a gRPC client. (The JSON client and the fixture
// builder are @latchkey/testing's, shared with the services that test against this one.)
// Every test file starts its own app (its own database and Redis prefix); tests inside a file
// use slugs and user ids of their own, so nothing leaks between tests.
import * as grpc from '@grpc/grpc-js'
import { queryDatabase, startTestApp, type JsonClient, type JsonResponse, type TestApp } from '@latchkey/testing'
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
// Assertions
// ---------------------------------------------------------------------------------------------

/** The response is the contract's error `{statusCode, code, error, message}` with this status and code. */
export function assertApiError(t: TapTest, res: JsonResponse, status: number, code: string | RegExp, what = ''): void {
  const label = what ? `${what}: ` : ''
  t.equal(res.status, status, `${label}answers ${status}`, { response: res.text.slice(0, 500) })
  assertErrorShape(t, res, what)
  if (typeof code === 'string') t.equal(res.body?.code, code, `${label}code ${code}`)
  else t.match(res.body?.code, code, `${label}code matches ${code}`)
}

/** The body has exactly the contract's error fields, an LK_ code, and repeats the HTTP status. */
export function assertErrorShape(t: TapTest, res: JsonResponse, what = ''): void {
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
// Reads through the API
// ---------------------------------------------------------------------------------------------

/** POST /v1/check, answering the parsed body (throws unless 200). */
export async function checkAllowed(
  client: JsonClient,
  input: { org: string; user: string; permission: string; atLeastRevision?: string | number },
): Promise<{ allowed: boolean; revision: string }> {
  const res = await client.post('/v1/check', input)
  if (res.status !== 200) throw new Error(`POST /v1/check ${JSON.stringify(input)}: ${res.status} ${res.text}`)
  return res.body
}

/** The organization's current revision, read with GET /v1/orgs/:org. */
export async function orgRevision(client: JsonClient, slug: string): Promise<string> {
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

/** Outbox rows in insertion order, optionally only those after `afterId` (org_seq as a string). */
export async function outboxRows(databaseUrl: string, afterId = '0'): Promise<OutboxRow[]> {
  return queryDatabase<OutboxRow>(
    databaseUrl,
    'SELECT id::text, type, org_id::text, org_seq::text, payload, trace_context FROM outbox_events WHERE id > $1::bigint ORDER BY id',
    [afterId],
  )
}

/** The id of the newest outbox row ('0' when there is none): a mark to read what comes after. */
export async function outboxMark(databaseUrl: string): Promise<string> {
  const rows = await queryDatabase<{ id: string | null }>(databaseUrl, 'SELECT max(id)::text AS id FROM outbox_events')
  return rows[0]?.id ?? '0'
}

/** Row counts of the permission service's tables, to show that a refused request changed nothing. */
export async function tableCounts(databaseUrl: string): Promise<Record<string, number>> {
  const tables = ['organizations', 'permissions', 'users', 'roles', 'role_permissions', 'role_inheritance', 'member_roles', 'outbox_events']
  const rows = await queryDatabase<{ name: string; count: number }>(
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
