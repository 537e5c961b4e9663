// How one fan-out message (one change event) becomes an invalidation of the client's partitions,
// which are organization slugs: the platform names each change's organization both by id (the
// exact entries) and by slug, at the same revision.
import t from 'tap'
import { toSlugInvalidations } from '../src/slug-invalidations.ts'

const orgId = '6f1c2d4e-0000-4000-8000-000000000001'
const bySlug = { partition: 'slug:acme', revision: 7, entries: [{ type: 'organization', id: 'acme' }] }

t.test('a role change: the users it reached, nothing else the platform caches', async (t) => {
  const message = {
    committedAt: [Date.now()],
    invalidations: [
      { partition: orgId, revision: 7, entries: [{ type: 'org_roles', id: 'all' }, { type: 'role_permissions', id: 'r1' }, { type: 'user_permissions', id: 'ann' }, { type: 'user_permissions', id: 'bob' }] },
      bySlug,
    ],
  }
  t.same(toSlugInvalidations(message), [{ partition: 'acme', revision: 7, entries: [{ type: 'user_permissions', id: 'ann' }, { type: 'user_permissions', id: 'bob' }] }])
})

t.test('a business write (deals): no permission set, but the revision moves', async (t) => {
  const message = { committedAt: [Date.now()], invalidations: [{ partition: orgId, revision: 7, entries: [{ type: 'deal_stats', id: '*' }, { type: 'dashboard', id: '*' }] }, bySlug] }
  t.same(toSlugInvalidations(message), [{ partition: 'acme', revision: 7, entries: [] }])
})

t.test('a deleted organization, or an event too large for NATS: the whole slug', async (t) => {
  const deleted = { committedAt: [Date.now()], invalidations: [{ partition: orgId, revision: 7, entries: 'all' as const }, bySlug] }
  t.same(toSlugInvalidations(deleted), [{ partition: 'acme', revision: 7, entries: 'all' }])
  const oversized = { committedAt: [Date.now()], invalidations: [{ partition: orgId, revision: 7, entries: 'all' as const }, { ...bySlug, entries: 'all' as const }] }
  t.same(toSlugInvalidations(oversized), [{ partition: 'acme', revision: 7, entries: 'all' }])
})

t.test('a slug without its id partition beside it: the whole slug; no slug at all: nothing to do', async (t) => {
  t.same(toSlugInvalidations({ committedAt: [], invalidations: [bySlug] }), [{ partition: 'acme', revision: 7, entries: 'all' }])
  t.same(toSlugInvalidations({ committedAt: [], invalidations: [{ partition: orgId, revision: 7, entries: [{ type: 'user_permissions', id: 'ann' }] }] }), [])
})
