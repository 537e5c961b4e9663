import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { inspectFile, resolveStoredFile } from '../src/index.ts'

async function storage(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-files-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'store', 'acme'), { recursive: true })
  await writeFile(join(dir, 'secret.txt'), 'not yours')
  return join(dir, 'store')
}

t.test('paths resolve inside the storage directory only', async (t) => {
  const root = await storage(t)
  await writeFile(join(root, 'acme', 'a.csv'), 'x\n1\n')
  t.equal(await resolveStoredFile(root, 'acme/a.csv'), join(root, 'acme', 'a.csv'))
  t.equal(await resolveStoredFile(root, 'acme/../acme/a.csv'), join(root, 'acme', 'a.csv'), 'a path that stays inside is fine')
  t.equal(await resolveStoredFile(root, 'acme/missing.csv'), undefined, 'a missing file is undefined')
  for (const path of ['../secret.txt', 'acme/../../secret.txt', join(root, '..', 'secret.txt'), '..', '', 'acme/\0x']) {
    await t.rejects(resolveStoredFile(root, path), { code: 'LK_ERR_INVALID_BUSINESS_INPUT' }, `${JSON.stringify(path)} is refused`)
  }
  await symlink(join(root, '..', 'secret.txt'), join(root, 'acme', 'link.txt'))
  await t.rejects(resolveStoredFile(root, 'acme/link.txt'), { message: /leads outside the storage directory/ }, 'a link pointing out is refused')
})

t.test('a file is read once for its hash, size, type and CSV rows', async (t) => {
  const root = await storage(t)
  const csv = 'id,note\n1,plain\n2,"two\nlines"\n3,"a, b"\n\n4,last'
  await writeFile(join(root, 'acme', 'export.csv'), csv)
  t.same(await inspectFile(join(root, 'acme', 'export.csv')), {
    sizeBytes: Buffer.byteLength(csv),
    checksumSha256: createHash('sha256').update(csv).digest('hex'),
    mimeType: 'text/csv',
    rowCount: 4,
  }, 'quoted line breaks and commas, a blank line and no final newline: 4 rows under the header')
  await writeFile(join(root, 'acme', 'empty.csv'), '')
  t.match(await inspectFile(join(root, 'acme', 'empty.csv')), { sizeBytes: 0, rowCount: 0 })
  const big = Buffer.alloc(3 * 1024 * 1024, 7)
  await writeFile(join(root, 'acme', 'blob.bin'), big)
  t.same(await inspectFile(join(root, 'acme', 'blob.bin')), {
    sizeBytes: big.length,
    checksumSha256: createHash('sha256').update(big).digest('hex'),
    mimeType: 'application/octet-stream',
    rowCount: null,
  })
  await writeFile(join(root, 'acme', 'broken.csv'), 'a,b\n"unterminated\n')
  await t.rejects(inspectFile(join(root, 'acme', 'broken.csv')), { code: 'LK_ERR_INVALID_BUSINESS_INPUT', message: /is not valid CSV/ })
})
