// Permission checks: single, bulk and the member's permission list; unknown names answer
// "denied", never an error; a replica reflects its own writes at once; `atLeastRevision` is a
// floor on the state answered from, and a revision from the future is a 409. The same answers
// come back with both cache levels off (one SQL statement per check).
import t from 'tap'
import { createOrgFixture, createUser, jsonClient, uniqueSlug, uniqueUser, type JsonClient } from '@latchkey/testing'
import { assertApiError, checkAllowed, startPermissionApp, type TapTest } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)

const standardRoles = {
  viewer: { permissions: ['deals.view'] },
  editor: { permissions: ['deals.edit'], inherits: ['viewer'] },
  admin: { permissions: ['billing.manage'], inherits: ['editor'] },
}

/**
 * Everything a check answers, as a specification run against a given app: the cached one and the
 * uncached one must pass it alike.
 */
async function checkAnswers(t: TapTest, client: JsonClient): Promise<void> {
  const fx = await createOrgFixture(client, {
    permissions: ['reports.view'],
    roles: standardRoles,
    members: { ann: ['viewer'], bob: ['editor'], cat: ['admin'] },
    users: ['outsider'],
  })
  const { ann, bob, cat, outsider } = fx.users

  await t.test('allowed and denied', async (t) => {
    t.same(await checkAllowed(client, { org: fx.slug, user: ann, permission: 'deals.view' }), { allowed: true, revision: fx.revision }, 'a viewer may view')
    t.same(await checkAllowed(client, { org: fx.slug, user: ann, permission: 'deals.edit' }), { allowed: false, revision: fx.revision }, 'a viewer may not edit')
    t.equal((await checkAllowed(client, { org: fx.slug, user: bob, permission: 'deals.view' })).allowed, true, 'an editor may view (inherited)')
    t.equal((await checkAllowed(client, { org: fx.slug, user: bob, permission: 'billing.manage' })).allowed, false, 'an editor may not manage billing')
    t.equal((await checkAllowed(client, { org: fx.slug, user: cat, permission: 'deals.view' })).allowed, true, 'an admin may view (two levels up)')
    t.equal((await checkAllowed(client, { org: fx.slug, user: cat, permission: 'reports.view' })).allowed, false, 'a permission no role grants is denied')
    t.equal((await checkAllowed(client, { org: fx.slug, user: outsider, permission: 'deals.view' })).allowed, false, 'a known user who is no member is denied')
  })

  await t.test('unknown organization, user or permission answer allowed:false with 200', async (t) => {
    const unknownOrg = await client.post('/v1/check', { org: uniqueSlug('nowhere'), user: ann, permission: 'deals.view' })
    t.equal(unknownOrg.status, 200)
    t.same(unknownOrg.body, { allowed: false, revision: '0' }, 'unknown organization: denied at revision "0"')
    const unknownUser = await client.post('/v1/check', { org: fx.slug, user: uniqueUser('nobody'), permission: 'deals.view' })
    t.equal(unknownUser.status, 200)
    t.same(unknownUser.body, { allowed: false, revision: fx.revision }, 'unknown user: denied')
    const unknownPermission = await client.post('/v1/check', { org: fx.slug, user: cat, permission: 'never.heard.of' })
    t.equal(unknownPermission.status, 200)
    t.same(unknownPermission.body, { allowed: false, revision: fx.revision }, 'unknown permission: denied')
  })

  await t.test('a membership change is reflected at once on the same replica, without a token', async (t) => {
    const dan = uniqueUser('dan')
    await createUser(client, dan)
    const before = await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.edit' })
    t.equal(before.allowed, false, 'warm: denied before joining')
    t.equal((await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.edit' })).allowed, false, 'asked twice (now cached)')

    const joined = await client.put(`/v1/orgs/${fx.slug}/members/${dan}`, { roles: ['editor'] })
    t.equal(joined.status, 200)
    t.same(await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.edit' }), { allowed: true, revision: joined.body.revision },
      'allowed right after joining, at the write’s revision')

    const demoted = await client.put(`/v1/orgs/${fx.slug}/members/${dan}`, { roles: ['viewer'] })
    t.same(await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.edit' }), { allowed: false, revision: demoted.body.revision },
      'denied right after losing the role')
    t.equal((await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.view' })).allowed, true, 'still allowed what the new role grants')

    const removed = await client.delete(`/v1/orgs/${fx.slug}/members/${dan}`)
    t.same(await checkAllowed(client, { org: fx.slug, user: dan, permission: 'deals.view' }), { allowed: false, revision: removed.body.revision },
      'denied right after leaving')
  })

  await t.test('a role change is reflected at once for every member holding or inheriting it', async (t) => {
    t.equal((await checkAllowed(client, { org: fx.slug, user: cat, permission: 'reports.view' })).allowed, false, 'warm: denied')
    const replaced = await client.put(`/v1/orgs/${fx.slug}/roles/viewer`, { permissions: ['deals.view', 'reports.view'] })
    t.equal(replaced.status, 200)
    for (const user of [ann, bob, cat]) {
      t.same(await checkAllowed(client, { org: fx.slug, user, permission: 'reports.view' }), { allowed: true, revision: replaced.body.revision },
        'a member holding or inheriting viewer gets the new permission')
    }
    const back = await client.put(`/v1/orgs/${fx.slug}/roles/viewer`, { permissions: ['deals.view'] })
    t.equal((await checkAllowed(client, { org: fx.slug, user: cat, permission: 'reports.view' })).allowed, false, 'and loses it again')
    fx.revision = back.body.revision
  })

  await t.test('atLeastRevision: equal to the write’s revision works as a string and a number; newer is 409', async (t) => {
    const eve = uniqueUser('eve')
    await createUser(client, eve)
    t.equal((await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view' })).allowed, false, 'warm: denied')
    const write = await client.put(`/v1/orgs/${fx.slug}/members/${eve}`, { roles: ['viewer'] })
    const revision: string = write.body.revision

    t.same(await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: revision }), { allowed: true, revision },
      'as a string')
    t.same(await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: Number(revision) }), { allowed: true, revision },
      'as a number')
    t.same(await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: '1' }), { allowed: true, revision },
      'an older revision answers from the current state')
    t.same(await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: 0 }), { allowed: true, revision },
      'zero means any state')

    const ahead = String(Number(revision) + 1)
    const refused = await client.post('/v1/check', { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: ahead })
    assertApiError(t, refused, 409, 'LK_ERR_REVISION_AHEAD', 'one newer than current (string)')
    assertApiError(t, await client.post('/v1/check', { org: fx.slug, user: eve, permission: 'deals.view', atLeastRevision: Number(ahead) }), 409,
      'LK_ERR_REVISION_AHEAD', 'one newer than current (number)')
    assertApiError(t, await client.post('/v1/check', { org: fx.slug, user: ann, permission: 'deals.view', atLeastRevision: '999999999' }), 409,
      'LK_ERR_REVISION_AHEAD', 'far in the future, for a user with no cached entry')
    t.same(await checkAllowed(client, { org: fx.slug, user: eve, permission: 'deals.view' }), { allowed: true, revision },
      'a refused token leaves later checks unharmed')
    fx.revision = revision
  })

  await t.test('bulk checks answer in request order, across organizations, with a revision per organization', async (t) => {
    const other = await createOrgFixture(client, { roles: { auditor: { permissions: ['reports.view'] } }, members: { ann: ['auditor'] } })
    const ghost = uniqueSlug('ghost')
    const checks = [
      { org: fx.slug, user: ann, permission: 'deals.view' },
      { org: other.slug, user: other.users.ann, permission: 'reports.view' },
      { org: fx.slug, user: ann, permission: 'deals.edit' },
      { org: ghost, user: ann, permission: 'deals.view' },
      { org: fx.slug, user: cat, permission: 'billing.manage' },
      { org: other.slug, user: other.users.ann, permission: 'deals.view' },
      { org: fx.slug, user: uniqueUser('nobody'), permission: 'deals.view' },
      { org: fx.slug, user: bob, permission: 'deals.view', atLeastRevision: fx.revision },
      { org: other.slug, user: ann, permission: 'reports.view', atLeastRevision: Number(other.revision) },
    ]
    const res = await client.post('/v1/check/bulk', { checks })
    t.equal(res.status, 200)
    t.same(res.body, {
      results: [true, true, false, false, true, false, false, true, false].map((allowed) => ({ allowed })),
      revisions: { [fx.slug]: fx.revision, [other.slug]: other.revision, [ghost]: '0' },
    }, 'results in order; one revision per organization named')

    // The same answers as single checks.
    for (const [i, c] of checks.entries()) {
      t.equal((await checkAllowed(client, c)).allowed, res.body.results[i].allowed, `check ${i} alone answers as in bulk`)
    }

    const ahead = await client.post('/v1/check/bulk', { checks: [checks[0], { ...checks[1], atLeastRevision: String(Number(other.revision) + 1) }] })
    assertApiError(t, ahead, 409, 'LK_ERR_REVISION_AHEAD', 'a bulk check holding a token from the future')
  })

  await t.test('bulk checks reflect a membership change at once (same caches as single checks)', async (t) => {
    const fay = uniqueUser('fay')
    await createUser(client, fay)
    const first = await client.post('/v1/check/bulk', { checks: [{ org: fx.slug, user: fay, permission: 'deals.edit' }] })
    t.same(first.body.results, [{ allowed: false }], 'warm: denied')
    const write = await client.put(`/v1/orgs/${fx.slug}/members/${fay}`, { roles: ['editor'] })
    const second = await client.post('/v1/check/bulk', { checks: [{ org: fx.slug, user: fay, permission: 'deals.edit' }] })
    t.same(second.body, { results: [{ allowed: true }], revisions: { [fx.slug]: write.body.revision } }, 'allowed at once, at the write’s revision')
    fx.revision = write.body.revision
  })

  await t.test('bulk: up to 1,000 checks are answered; 1,001 or none are a 400', async (t) => {
    const permissions = ['deals.view', 'deals.edit', 'billing.manage', 'reports.view']
    const users = [ann, bob, cat, outsider]
    const checks = Array.from({ length: 1000 }, (_, i) => ({ org: fx.slug, user: users[i % 4]!, permission: permissions[Math.floor(i / 4) % 4]! }))
    const expectedByPair = new Map<string, boolean>()
    for (const user of users) {
      for (const permission of permissions) {
        expectedByPair.set(`${user} ${permission}`, (await checkAllowed(client, { org: fx.slug, user, permission })).allowed)
      }
    }
    const res = await client.post('/v1/check/bulk', { checks })
    t.equal(res.status, 200, '1,000 checks: 200')
    t.equal(res.body.results.length, 1000, '1,000 results')
    const mismatches = checks.filter((c, i) => res.body.results[i].allowed !== expectedByPair.get(`${c.user} ${c.permission}`))
    t.same(mismatches, [], 'every result is the answer of its own check, in request order')
    t.ok(res.body.results.some((r: { allowed: boolean }) => r.allowed) && res.body.results.some((r: { allowed: boolean }) => !r.allowed),
      'the batch mixes allowed and denied answers')

    const tooMany = await client.post('/v1/check/bulk', { checks: [...checks, checks[0]] })
    assertApiError(t, tooMany, 400, 'LK_ERR_VALIDATION', '1,001 checks')
    assertApiError(t, await client.post('/v1/check/bulk', { checks: [] }), 400, 'LK_ERR_VALIDATION', 'no checks')
  })

  await t.test('GET members/:user/permissions lists effective permissions, with and without atLeastRevision', async (t) => {
    const path = `/v1/orgs/${fx.slug}/members/${cat}/permissions`
    const plain = await client.get(path)
    t.equal(plain.status, 200)
    t.same(plain.body, { user: cat, permissions: ['billing.manage', 'deals.edit', 'deals.view'], revision: fx.revision }, 'sorted, inherited included')
    t.same((await client.get(`${path}?atLeastRevision=${fx.revision}`)).body, plain.body, 'atLeastRevision equal to current')
    t.same((await client.get(`${path}?atLeastRevision=1`)).body, plain.body, 'atLeastRevision older than current')
    assertApiError(t, await client.get(`${path}?atLeastRevision=${Number(fx.revision) + 1}`), 409, 'LK_ERR_REVISION_AHEAD', 'newer than current')

    const write = await client.put(`/v1/orgs/${fx.slug}/members/${cat}`, { roles: ['viewer'] })
    t.same((await client.get(`${path}?atLeastRevision=${write.body.revision}`)).body, { user: cat, permissions: ['deals.view'], revision: write.body.revision },
      'after a write, at its revision')
    t.same((await client.get(`/v1/orgs/${fx.slug}/members/${outsider}/permissions`)).body, { user: outsider, permissions: [], revision: write.body.revision },
      'a non-member has none')
    t.same((await client.get(`/v1/orgs/${fx.slug}/members/${uniqueUser('nobody')}/permissions`)).body.permissions, [], 'an unknown user has none')
    assertApiError(t, await client.get(`/v1/orgs/${uniqueSlug('nowhere')}/members/${cat}/permissions`), 404, 'LK_ERR_ORG_NOT_FOUND', 'unknown organization')
    await client.put(`/v1/orgs/${fx.slug}/members/${cat}`, { roles: ['admin'] })
  })
}

t.test('with L1 and L2 caches (the default)', async (t) => {
  await checkAnswers(t, client)
})

t.test('with both cache levels off, the same answers come back', async (t) => {
  const uncached = await startPermissionApp(t, { CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' })
  t.equal(uncached.app.cache.enabled, false, 'the app under test runs without caches')
  await checkAnswers(t, jsonClient(uncached.url))
})

t.test('a token from a write on another replica is honoured even over a warm, older cache', async (t) => {
  // Two replicas of the service on one database; each has its own L1 and Redis prefix.
  const replicaB = await startPermissionApp(t, {}, { databaseUrl: testApp.config.DATABASE_URL })
  const b = jsonClient(replicaB.url)
  const fx = await createOrgFixture(client, { roles: standardRoles, users: ['gil'] })
  const gil = fx.users.gil
  t.equal((await checkAllowed(b, { org: fx.slug, user: gil, permission: 'deals.view' })).allowed, false, 'B: warm, denied')
  t.same((await b.get(`/v1/orgs/${fx.slug}/members/${gil}/permissions`)).body.permissions, [], 'B: warm list, empty')

  const write = await client.put(`/v1/orgs/${fx.slug}/members/${gil}`, { roles: ['editor'] })
  const token: string = write.body.revision
  t.same(await checkAllowed(b, { org: fx.slug, user: gil, permission: 'deals.view', atLeastRevision: token }), { allowed: true, revision: token },
    'B answers the check from a state at least as new as the token')
  t.same((await b.get(`/v1/orgs/${fx.slug}/members/${gil}/permissions?atLeastRevision=${token}`)).body,
    { user: gil, permissions: ['deals.edit', 'deals.view'], revision: token }, 'and the permission list too')
  const bulk = await b.post('/v1/check/bulk', { checks: [{ org: fx.slug, user: gil, permission: 'deals.edit', atLeastRevision: Number(token) }] })
  t.same(bulk.body, { results: [{ allowed: true }], revisions: { [fx.slug]: token } }, 'and a bulk check')
  assertApiError(t, await b.post('/v1/check', { org: fx.slug, user: gil, permission: 'deals.view', atLeastRevision: Number(token) + 1 }), 409,
    'LK_ERR_REVISION_AHEAD', 'B: a revision neither replica has reached')
})
