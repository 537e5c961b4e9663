// Consistency across replicas: two permission replicas (A and B) and one cache-invalidator, as
// separate processes sharing PostgreSQL, Redis and NATS. A write on one replica is reflected by the
// other at once when the reader passes the write's revision (atLeastRevision), and within a short
// bound without it (the outbox relay → JetStream → invalidator → L1 fan-out path).
import t from 'tap'
import { createOrgFixture } from '@latchkey/testing'
import { setMembership, setRole, startCluster, summarize, waitForAnswer, type Replica } from './helpers.ts'

const { a, b } = await startCluster(t)

/** The three ways to read a user's permission with a token: check, bulk check, permission list. */
async function readWithToken(replica: Replica, via: number, org: string, user: string, permission: string, token: string) {
  if (via === 0) return replica.check(org, user, permission, token)
  if (via === 1) {
    const res = await replica.post('/v1/check/bulk', { checks: [{ org, user, permission, atLeastRevision: token }] })
    if (res.status !== 200) throw new Error(`bulk check: ${res.status} ${res.text}`)
    return { allowed: res.body.results[0].allowed as boolean, revision: res.body.revisions[org] as string }
  }
  const res = await replica.get(`/v1/orgs/${org}/members/${user}/permissions?atLeastRevision=${token}`)
  if (res.status !== 200) throw new Error(`permission list: ${res.status} ${res.text}`)
  return { allowed: (res.body.permissions as string[]).includes(permission), revision: res.body.revision as string }
}

t.test('with atLeastRevision, a replica reflects a write made on another one at once: zero stale answers over 50 writes', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'token', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  const ann = fx.users.ann
  let member = true
  let granted = true
  const stale: string[] = []
  for (let i = 0; i < 50; i++) {
    // A then B write in turn, the other replica reads; membership and role changes alternate, so the
    // answer flips at every write.
    const [writer, reader] = i < 25 ? [a, b] : [b, a]
    // The reader holds the current answer in its L1 (and Redis holds it too).
    const warm = await reader.check(fx.slug, ann, 'deals.view')
    t.equal(warm.allowed, member && granted, `write ${i}: before it, ${reader.name} answers the current state`)
    let revision: string
    if (i % 4 < 2) {
      member = !member
      revision = await setMembership(writer, fx.slug, ann, member ? ['viewer'] : [])
    } else {
      granted = !granted
      revision = await setRole(writer, fx.slug, 'viewer', granted ? ['deals.view'] : [])
    }
    const answer = await readWithToken(reader, i % 3, fx.slug, ann, 'deals.view', revision)
    const expected = member && granted
    if (answer.allowed !== expected || BigInt(answer.revision) < BigInt(revision)) {
      stale.push(`write ${i} on ${writer.name} (revision ${revision}): ${reader.name} answered ${JSON.stringify(answer)}, expected allowed=${expected}`)
    }
  }
  t.same(stale, [], 'no stale answer: every read with the write’s revision reflects the write')
  t.equal(member && granted, true, 'the state went back and forth 50 times')
})

t.test('without a token, a replica reflects a write made on another one within a second', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'notoken', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  const ann = fx.users.ann
  const input = { org: fx.slug, user: ann, permission: 'deals.view' }
  const delays: number[] = []
  let observedStale = 0
  let allowed = true
  for (let i = 0; i < 20; i++) {
    // B holds the current answer in its L1 (the previous round left it there).
    t.equal((await b.check(fx.slug, ann, 'deals.view')).allowed, allowed, `round ${i}: B answers the current state before the write`)
    allowed = !allowed
    await setMembership(a, fx.slug, ann, allowed ? ['viewer'] : [])
    const { elapsedMs, staleAnswers } = await waitForAnswer(b, input, allowed, { timeoutMs: 5_000, intervalMs: 2 })
    delays.push(elapsedMs)
    observedStale += staleAnswers
  }
  t.comment(`A → B delay without a token (from A's answer to B's first correct answer): ${summarize(delays)}; stale answers seen while polling: ${observedStale}`)
  t.ok(Math.max(...delays) < 1_000, `every change reached B within 1 s (max ${Math.max(...delays).toFixed(1)} ms)`)
})

t.test('a role change reaches, on the other replica, every member of every role that inherits it', async (t) => {
  const fx = await createOrgFixture(a, {
    slugPrefix: 'inherit',
    roles: {
      viewer: { permissions: ['deals.view'] },
      editor: { permissions: ['deals.edit'], inherits: ['viewer'] },
      admin: { permissions: ['deals.delete'], inherits: ['editor'] },
      auditor: { permissions: ['audit.read'] },
    },
    members: { val: ['viewer'], eve: ['editor'], ada: ['admin'], aud: ['auditor'] },
  })
  const inheritors = [fx.users.val, fx.users.eve, fx.users.ada]
  const check = (user: string, permission: string, token?: string) => b.check(fx.slug, user, permission, token).then((answer) => answer.allowed)

  // B has every member's answers in its L1.
  t.same(await Promise.all(inheritors.map((user) => check(user, 'deals.view'))), [true, true, true], 'viewer, editor and admin members may view')
  t.equal(await check(fx.users.aud, 'deals.view'), false, 'the auditor may not')
  t.equal(await check(fx.users.aud, 'audit.read'), true)

  // On A, viewer loses deals.view: without a token, B reflects it for all three within a second.
  const removed = await setRole(a, fx.slug, 'viewer', ['audit.read'])
  const flips = await Promise.all(inheritors.map((user) => waitForAnswer(b, { org: fx.slug, user, permission: 'deals.view' }, false, { timeoutMs: 5_000 })))
  const delays = flips.map((flip) => flip.elapsedMs)
  t.comment(`role change → members of inheriting roles on B, without a token: ${summarize(delays)}`)
  t.ok(Math.max(...delays) < 1_000, 'the viewer, editor and admin members lost deals.view on B within 1 s')
  t.same(await Promise.all(inheritors.map((user) => check(user, 'audit.read', removed))), [true, true, true], 'and gained what viewer gained, transitively')
  t.equal(await check(fx.users.aud, 'audit.read', removed), true, 'the auditor is unaffected')
  t.equal(await check(fx.users.eve, 'deals.edit', removed), true, 'the editor keeps its own permission')

  // On A, viewer gets deals.view back: with the token, B answers it at once for all three.
  const restored = await setRole(a, fx.slug, 'viewer', ['deals.view'])
  t.same(await Promise.all(inheritors.map((user) => check(user, 'deals.view', restored))), [true, true, true], 'with the token, at once')
  const listed = await b.get(`/v1/orgs/${fx.slug}/members/${fx.users.ada}/permissions?atLeastRevision=${restored}`)
  t.same(listed.body.permissions, ['deals.delete', 'deals.edit', 'deals.view'], 'the admin’s effective permissions on B, at the token')

  // A change in the middle of the chain (editor stops inheriting viewer) reaches editor and admin members, not viewer ones.
  const cut = await setRole(a, fx.slug, 'editor', ['deals.edit'], [])
  t.same(await Promise.all(inheritors.map((user) => check(user, 'deals.view', cut))), [true, false, false], 'only the roles below the cut lose it')
})
