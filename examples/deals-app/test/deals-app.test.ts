// The example application end to end, as its README demonstrates it: the platform (permission
// service, cache-invalidator, task worker) and the example application beside it. Deals are
// created and moved through the example; the workflow and commission tasks run in the platform's
// worker; the cached dashboard changes; and a 403 turns into a 200 when the user's role changes
// on the platform (the permission client's L1 is fed by the platform's invalidation fan-out).
import t from 'tap'
import { freePort } from '@latchkey/testing'
import { client, createDemoOrg, eventually, ok, startExample, startPlatformAndExample, taskOutcome } from './helpers.ts'

const { admin, as, example, exampleUrl, platform } = await startPlatformAndExample(t)

t.test('a request names its acting user; without one it is 401', async (t) => {
  const slug = await createDemoOrg(admin, { ann: ['seller'] })
  const anonymous = await fetch(`${exampleUrl}/orgs/${slug}/deals`)
  t.equal(anonymous.status, 401)
  t.match(await anonymous.json(), { code: 'LK_ERR_UNAUTHENTICATED' })
  t.equal((await fetch(`${exampleUrl}/healthz`)).status, 200, 'health stays public')
  const openApi = (await (await fetch(`${exampleUrl}/docs/json`)).json()) as { paths: Record<string, unknown> }
  t.ok(openApi.paths['/orgs/{org}/deals/{deal}'] && openApi.paths['/orgs/{org}/dashboard'], 'the routes are described in OpenAPI')
})

t.test('every route is guarded: 403 with an LK_ code, then 200 once the platform grants the role', async (t) => {
  const slug = await createDemoOrg(admin, { bob: ['viewer'] })
  const bob = as('bob')
  t.equal((await bob.get(`/orgs/${slug}/dashboard`)).status, 200, 'a viewer sees the dashboard')
  const denied = await bob.post(`/orgs/${slug}/deals`, { title: 'Blocked', amount: '10.00' })
  t.same(denied.body, { statusCode: 403, code: 'LK_ERR_PERMISSION_DENIED', error: 'Forbidden', message: `User bob may not deals.edit in organization ${slug}` })
  t.equal((await bob.post(`/orgs/${slug}/commission-rates`, { rate: '0.05' })).status, 403, 'nor set commission rates')
  t.equal((await as('stranger').get(`/orgs/${slug}/deals`)).status, 403, 'a non-member sees nothing')
  t.equal((await as('bob').get('/orgs/no-such-org/dashboard')).status, 403, 'an unknown organization is a 403 too')

  // The role changes on the platform; the example learns it through the fan-out, with no token.
  await ok(admin.put(`/v1/orgs/${slug}/members/bob`, { roles: ['seller'] }), 'promote bob')
  const started = Date.now()
  const created = await eventually(
    async () => {
      const res = await bob.post(`/orgs/${slug}/deals`, { title: 'Allowed now', amount: '10.00' })
      return res.status === 201 ? res : undefined
    },
    5_000,
    'bob may create deals',
  )
  t.pass(`403 turned into 201 within ${Date.now() - started} ms of the role change`)
  t.equal(created.body.deal.ownerId, 'bob', 'the acting user owns the deal')
})

t.test('creating and moving deals runs the workflow and commission tasks, and the cached dashboard follows', async (t) => {
  const slug = await createDemoOrg(admin, { ann: ['seller'], mia: ['manager'] })
  const ann = as('ann')
  const mia = as('mia')
  const before = await ok(ann.get(`/orgs/${slug}/dashboard`), 'dashboard')
  t.match(before.figures.deals, { open: 0, won: 0, pipelineAmount: '0.00' }, 'an empty dashboard')
  await ok(ann.get(`/orgs/${slug}/dashboard`), 'dashboard again')
  t.ok(example.cache.stats.snapshot().dashboard!.l1.hits >= 1, 'the second read came from the cache')

  const big = await ok(ann.post(`/orgs/${slug}/deals`, { title: 'Big deal', amount: '25000.00' }), 'create')
  t.match(big, { deal: { title: 'Big deal', amount: '25000.00', stage: 'lead', ownerId: 'ann' }, tasks: [{ type: 'workflow.deal_automation', status: 'queued' }] })
  t.ok(Number(big.revision) > Number(before.revision), 'the write answers the organization’s new revision')
  const automation = await taskOutcome(admin, big.tasks[0].id)
  t.equal(automation.status, 'succeeded', 'the workflow task ran in the platform’s worker')
  t.match(automation.result, { organizations: 0, advanced: 0 }, 'a new unverified lead: no rule moves it yet')

  const withToken = await ok(ann.get(`/orgs/${slug}/dashboard?atLeastRevision=${big.revision}`), 'dashboard with token')
  t.match(withToken.figures.deals, { open: 1, pipelineAmount: '25000.00' }, 'with the write’s revision the dashboard shows the deal at once')

  // Verified: the worker's workflow run moves the lead on; its write (in another service) drops
  // the example's cached dashboard through the fan-out, so a plain read shows the move.
  const verified = await ok(ann.patch(`/orgs/${slug}/deals/${big.deal.id}`, { verificationStatus: 'verified' }), 'verify')
  t.match((await taskOutcome(admin, verified.tasks[0].id)).result, { advanced: 1, byRule: { 'verified-lead-qualifies': 1 } }, 'a verified lead is qualified')
  const moved = await eventually(
    async () => {
      const board = await ok(ann.get(`/orgs/${slug}/dashboard`), 'dashboard')
      return board.figures.recentStageChanges.find((change: { rule: string | null }) => change.rule === 'verified-lead-qualifies') ? board : undefined
    },
    5_000,
    'the dashboard shows the workflow’s move',
  )
  t.match(moved.figures.recentStageChanges[0], { dealId: big.deal.id, from: 'lead', to: 'qualified', rule: 'verified-lead-qualifies' }, 'the automation’s move is on the dashboard')
  const stats = await ok(ann.get(`/orgs/${slug}/deal-stats`), 'deal stats')
  t.match(stats.figures, { total: 1, byStage: { qualified: { count: 1, amount: '25000.00' } }, byVerification: { verified: 1 } }, 'deal statistics agree')

  // Won, with a 5 % default rate: the commission task writes the commission; the dashboard shows it.
  t.match(await ok(mia.post(`/orgs/${slug}/commission-rates`, { rate: '0.05' }), 'rate'), { user: null, rate: '0.0500' })
  const won = await ok(ann.patch(`/orgs/${slug}/deals/${big.deal.id}`, { stage: 'won' }), 'won')
  t.same(won.tasks.map((task: { type: string }) => task.type).sort(), ['business.commission_calculation', 'workflow.deal_automation'])
  const commission = won.tasks.find((task: { type: string }) => task.type === 'business.commission_calculation')
  t.match((await taskOutcome(admin, commission.id)).result, { written: 1 }, 'one commission written')
  const paid = await eventually(
    async () => {
      const board = await ok(ann.get(`/orgs/${slug}/dashboard`), 'dashboard')
      return board.figures.commissions.count === 1 ? board : undefined
    },
    5_000,
    'the dashboard shows the commission',
  )
  t.match(paid.figures, { deals: { open: 0, won: 1, wonAmount: '25000.00' }, commissions: { count: 1, amount: '1250.00' } }, '5 % of 25,000.00')
})

t.test('bad input is a 4xx with an LK_ code, and nothing changes', async (t) => {
  const slug = await createDemoOrg(admin, { ann: ['seller'] })
  const ann = as('ann')
  const bad = await ann.post(`/orgs/${slug}/deals`, { title: 'Bad', amount: '12.345' })
  t.match(bad, { status: 400, body: { code: 'LK_ERR_VALIDATION' } }, 'an amount with 3 places')
  t.match(await ann.patch(`/orgs/${slug}/deals/00000000-0000-4000-8000-000000000000`, { stage: 'won' }), { status: 404, body: { code: 'LK_ERR_DEAL_NOT_FOUND' } })
  t.match(await ann.patch(`/orgs/${slug}/deals/not-a-uuid`, { stage: 'won' }), { status: 400, body: { code: 'LK_ERR_VALIDATION' } })
  t.match(await ann.patch(`/orgs/${slug}/deals/00000000-0000-4000-8000-000000000000`, {}), { status: 400 }, 'an empty change')
  t.match(await ann.get(`/orgs/${slug}/deal-stats?atLeastRevision=999999`), { status: 409, body: { code: 'LK_ERR_REVISION_AHEAD' } })
  t.same((await ok(ann.get(`/orgs/${slug}/deals`), 'list')).items, [], 'no deal was created')
})

t.test('a permission service that cannot be reached is a 503 within the deadline, never an allow', async (t) => {
  const slug = await createDemoOrg(admin, { ann: ['seller'] })
  const cut = await startExample(t, platform, { PERMISSION_GRPC_ADDRESS: `127.0.0.1:${await freePort()}`, PERMISSION_DEADLINE: '1s' })
  const res = await client(cut.exampleUrl, 'ann').get(`/orgs/${slug}/deals`)
  t.equal(res.status, 503)
  t.match(res.body, { code: 'LK_ERR_PERMISSION_SERVICE_UNAVAILABLE', message: /permission service is unavailable/ })
})
