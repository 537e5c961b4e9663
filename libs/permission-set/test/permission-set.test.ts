import t from 'tap'
import { PermissionSet, userPermissionsCodec } from '../src/index.ts'

t.test('a permission set holds exactly the keys it was made of', async (t) => {
  const set = new PermissionSet(['deals.edit', 'deals.view', 'reports.export'])
  t.ok(set.has('deals.view'))
  t.ok(set.has('reports.export'))
  t.notOk(set.has('deals.delete'), 'a key of the catalog it does not hold')
  t.notOk(set.has('never.seen-anywhere'), 'a key no set in the process holds')
  t.notOk(set.has(''), 'the empty string')
  t.same(set.keys, ['deals.edit', 'deals.view', 'reports.export'], 'the keys keep their order, for listings')
})

t.test('sets made at different times agree, whatever keys other sets brought in between', async (t) => {
  const early = new PermissionSet(['a.one'])
  // Enough new keys to need more than one word of bits, in sets made after `early`.
  const many = Array.from({ length: 100 }, (_, i) => `bulk.key_${i}`)
  const late = new PermissionSet([...many, 'a.one'])
  t.ok(early.has('a.one'))
  t.notOk(early.has('bulk.key_99'), 'a key numbered beyond the early set’s words')
  t.ok(late.has('bulk.key_99'))
  t.ok(late.has('bulk.key_0'))
  t.ok(late.has('a.one'))
  t.notOk(new PermissionSet([]).has('a.one'), 'an empty set holds nothing')
})

t.test('a key asked about is not thereby known: a later set holding it answers for it', async (t) => {
  const set = new PermissionSet(['x.read'])
  const probes = Array.from({ length: 1000 }, (_, i) => `probe.${i}`)
  t.equal(probes.filter((key) => set.has(key)).length, 0, 'no probe is held')
  const later = new PermissionSet(['probe.999'])
  t.ok(later.has('probe.999'))
  t.notOk(later.has('probe.998'))
  t.notOk(set.has('probe.999'), 'the first set still does not hold it')
})

t.test('the cache codec writes the keys and reads back an equal set', async (t) => {
  const set = new PermissionSet(['deals.view', 'deals.edit'])
  const text = userPermissionsCodec.encode(set)
  t.equal(text, '["deals.view","deals.edit"]', 'what Redis holds is the plain list (the audit and other readers rely on it)')
  const back = userPermissionsCodec.decode(text)
  t.same(back.keys, set.keys)
  t.ok(back.has('deals.edit'))
  t.notOk(back.has('deals.delete'))
  t.equal(userPermissionsCodec.name, 'user_permissions')
})
