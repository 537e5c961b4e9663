import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const scratchRoot = fileURLToPath(new URL('../../node_modules/.cache/latchkey-deploy', import.meta.url))

/**
 * A directory of the test's own, removed when it ends. Not under /tmp, which a sandboxed
 * container gets as a fresh emptyDir, and readable by everyone, as a sandboxed container runs as
 * the pod's user.
 */
export function scratchDirectory(t: { teardown(fn: () => unknown): void }, prefix: string): string {
  mkdirSync(scratchRoot, { recursive: true })
  const dir = mkdtempSync(join(scratchRoot, `${prefix}-`))
  chmodSync(dir, 0o755)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
