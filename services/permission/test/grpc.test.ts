// gRPC (latchkey.permission.v1.PermissionService, the shipped .proto): the same answers as the
// HTTP routes, the same validation (INVALID_ARGUMENT) and the same token rule
// (FAILED_PRECONDITION), with the LK_ code in the `lk-code` metadata.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { createOrgFixture, createUser, jsonClient, uniqueSlug, uniqueUser } from '@latchkey/testing'
import { checkAllowed, grpcClient, startPermissionApp, type GrpcCheckRequest } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)
const rpc = grpcClient(t, testApp.grpcPort)

const fx = await createOrgFixture(client, {
  permissions: ['reports.view'],
  roles: {
    viewer: { permissions: ['deals.view'] },
    editor: { permissions: ['deals.edit'], inherits: ['viewer'] },
  },
  members: { ann: ['viewer'], bob: ['editor'] },
  users: ['outsider'],
})
const { ann, bob, outsider } = fx.users

/** The gRPC error a call failed with: status code and `lk-code`. */
async function grpcFailure(call: Promise<unknown>): Promise<{ code: grpc.status | undefined; lkCode: string | undefined; details: string }> {
  try {
    await call
  } catch (err) {
    const e = err as grpc.ServiceError
    return { code: e.code, lkCode: e.metadata?.get('lk-code')[0]?.toString(), details: e.details }
  }
  return { code: undefined, lkCode: undefined, details: 'the call succeeded' }
}

const questions: GrpcCheckRequest[] = [
  { org: fx.slug, user: ann, permission: 'deals.view' },
  { org: fx.slug, user: ann, permission: 'deals.edit' },
  { org: fx.slug, user: bob, permission: 'deals.view' },
  { org: fx.slug, user: bob, permission: 'deals.edit' },
  { org: fx.slug, user: bob, permission: 'reports.view' },
  { org: fx.slug, user: outsider, permission: 'deals.view' },
  { org: fx.slug, user: uniqueUser('nobody'), permission: 'deals.view' },
  { org: fx.slug, user: bob, permission: 'never.granted' },
  { org: uniqueSlug('nowhere'), user: bob, permission: 'deals.view' },
]

t.test('Check answers as POST /v1/check does', async (t) => {
  for (const q of questions) {
    const http = await checkAllowed(client, q)
    const viaGrpc = await rpc.check(q)
    t.same(viaGrpc, http, `${q.user.split('.')[0]} ${q.permission} in ${q.org.split('-')[0]}: ${http.allowed}`)
  }
  t.same(await rpc.check({ org: fx.slug, user: bob, permission: 'deals.view' }), { allowed: true, revision: fx.revision }, 'inherited: allowed, revision as a string')
  t.same(await rpc.check({ org: fx.slug, user: ann, permission: 'deals.edit' }), { allowed: false, revision: fx.revision }, 'not granted: denied')
})

t.test('BulkCheck answers as POST /v1/check/bulk does, in order, with each answer’s revision', async (t) => {
  const http = await client.post('/v1/check/bulk', { checks: questions })
  t.equal(http.status, 200)
  const viaGrpc = await rpc.bulkCheck({ checks: questions })
  t.same(viaGrpc.results.map((r) => r.allowed), http.body.results.map((r: { allowed: boolean }) => r.allowed), 'the same answers in the same order')
  t.same(viaGrpc.results.map((r) => r.revision), questions.map((q) => http.body.revisions[q.org]), 'each answer carries its organization’s revision')
  t.same(viaGrpc.results.map((r) => r.allowed), [true, false, true, true, false, false, false, false, false])

  const thousand = Array.from({ length: 1000 }, (_, i) => questions[i % questions.length]!)
  const big = await rpc.bulkCheck({ checks: thousand })
  t.equal(big.results.length, 1000, '1,000 checks are answered')
  t.same(big.results.map((r) => r.allowed), thousand.map((_, i) => viaGrpc.results[i % questions.length]!.allowed), 'in request order')
})

t.test('ListPermissions answers as GET members/:user/permissions does', async (t) => {
  for (const user of [ann, bob, outsider]) {
    const http = await client.get(`/v1/orgs/${fx.slug}/members/${user}/permissions`)
    const viaGrpc = await rpc.listPermissions({ org: fx.slug, user })
    t.same(viaGrpc, { permissions: http.body.permissions, revision: http.body.revision }, `${user.split('.')[0]}: ${http.body.permissions.join(', ') || 'none'}`)
  }
  t.same((await rpc.listPermissions({ org: fx.slug, user: bob })).permissions, ['deals.edit', 'deals.view'], 'inherited permissions included')
  const missing = await grpcFailure(rpc.listPermissions({ org: uniqueSlug('nowhere'), user: bob }))
  t.same(missing, { code: grpc.status.NOT_FOUND, lkCode: 'LK_ERR_ORG_NOT_FOUND', details: missing.details }, 'an unknown organization is NOT_FOUND')
  t.match(missing.details, /^LK_ERR_ORG_NOT_FOUND: /, 'the details start with the code')
})

t.test('an HTTP write is seen at once over gRPC; at_least_revision works, and one ahead is FAILED_PRECONDITION', async (t) => {
  const cal = uniqueUser('cal')
  await createUser(client, cal)
  t.equal((await rpc.check({ org: fx.slug, user: cal, permission: 'deals.edit' })).allowed, false, 'warm: denied')
  const write = await client.put(`/v1/orgs/${fx.slug}/members/${cal}`, { roles: ['editor'] })
  const revision: string = write.body.revision
  t.same(await rpc.check({ org: fx.slug, user: cal, permission: 'deals.edit' }), { allowed: true, revision }, 'allowed at once, without a token')
  t.same(await rpc.check({ org: fx.slug, user: cal, permission: 'deals.edit', atLeastRevision: revision }), { allowed: true, revision }, 'with the write’s revision')
  t.same(await rpc.listPermissions({ org: fx.slug, user: cal, atLeastRevision: revision }), { permissions: ['deals.edit', 'deals.view'], revision })
  t.same((await rpc.bulkCheck({ checks: [{ org: fx.slug, user: cal, permission: 'deals.view', atLeastRevision: revision }] })).results, [{ allowed: true, revision }])

  const ahead = String(Number(revision) + 1)
  for (const [what, call] of [
    ['Check', () => rpc.check({ org: fx.slug, user: cal, permission: 'deals.edit', atLeastRevision: ahead })],
    ['BulkCheck', () => rpc.bulkCheck({ checks: [{ org: fx.slug, user: cal, permission: 'deals.edit', atLeastRevision: ahead }] })],
    ['ListPermissions', () => rpc.listPermissions({ org: fx.slug, user: cal, atLeastRevision: ahead })],
  ] as const) {
    const failure = await grpcFailure(call())
    t.equal(failure.code, grpc.status.FAILED_PRECONDITION, `${what}: FAILED_PRECONDITION`)
    t.equal(failure.lkCode, 'LK_ERR_REVISION_AHEAD', `${what}: lk-code LK_ERR_REVISION_AHEAD`)
  }
})

t.test('invalid input is INVALID_ARGUMENT with lk-code LK_ERR_VALIDATION', async (t) => {
  const valid = { org: fx.slug, user: ann, permission: 'deals.view' }
  const invalid: [string, GrpcCheckRequest][] = [
    ['an empty org', { ...valid, org: '' }],
    ['an uppercase org', { ...valid, org: 'ACME' }],
    ['an empty user', { ...valid, user: '' }],
    ['a user id with a space', { ...valid, user: 'a b' }],
    ['a user id of 129 characters', { ...valid, user: 'u'.repeat(129) }],
    ['an undotted permission', { ...valid, permission: 'deals' }],
    ['a permission of 129 characters', { ...valid, permission: `a.${'b'.repeat(127)}` }],
    ['a non-numeric at_least_revision', { ...valid, atLeastRevision: 'abc' }],
    ['a negative at_least_revision', { ...valid, atLeastRevision: '-1' }],
  ]
  for (const [what, request] of invalid) {
    const failure = await grpcFailure(rpc.check(request))
    t.equal(failure.code, grpc.status.INVALID_ARGUMENT, `Check with ${what}: INVALID_ARGUMENT`)
    t.equal(failure.lkCode, 'LK_ERR_VALIDATION', `Check with ${what}: lk-code`)
  }
  const list = await grpcFailure(rpc.listPermissions({ org: fx.slug, user: '' }))
  t.same([list.code, list.lkCode], [grpc.status.INVALID_ARGUMENT, 'LK_ERR_VALIDATION'], 'ListPermissions with an empty user')
  const listRev = await grpcFailure(rpc.listPermissions({ org: fx.slug, user: ann, atLeastRevision: '1.5' }))
  t.same([listRev.code, listRev.lkCode], [grpc.status.INVALID_ARGUMENT, 'LK_ERR_VALIDATION'], 'ListPermissions with a bad at_least_revision')

  for (const [what, checks] of [
    ['no checks', []],
    ['1,001 checks', Array.from({ length: 1001 }, () => valid)],
    ['one bad check among good ones', [valid, { ...valid, permission: 'BAD' }, valid]],
  ] as const) {
    const failure = await grpcFailure(rpc.bulkCheck({ checks: [...checks] }))
    t.equal(failure.code, grpc.status.INVALID_ARGUMENT, `BulkCheck with ${what}: INVALID_ARGUMENT`)
    t.equal(failure.lkCode, 'LK_ERR_VALIDATION', `BulkCheck with ${what}: lk-code`)
  }
  t.same(await rpc.check(valid), { allowed: true, revision: (await checkAllowed(client, valid)).revision }, 'the service answers normally afterwards')
})
