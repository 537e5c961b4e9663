// A user's effective permissions, shaped for the check path. A check is one lookup in a small
// table every check shares (so it stays in the CPU's cache) and one bit test; a `Set` of strings
// per user would be walked in memory nobody touched since that user's last check, and at tens of
// thousands of checks a second those cache misses were the largest cost of a check after the
// socket write (see bench/README.md).

/**
 * Numbers every permission key that appears in a permission set of this process. The numbering
 * grows with the catalog, never with requests: checks only look keys up. It also hands out one
 * copy of each key string, so a hundred thousand cached sets share their strings.
 */
const numberByKey = new Map<string, number>()
const keyByNumber: string[] = []

function numberOf(key: string): number {
  let n = numberByKey.get(key)
  if (n === undefined) {
    n = keyByNumber.length
    numberByKey.set(key, n)
    keyByNumber.push(key)
  }
  return n
}

export class PermissionSet {
  /** The keys, in the order given (sorted by the loaders), for answers that list them; shared, never to be changed. */
  readonly keys: string[]
  private readonly bits: Uint32Array

  constructor(keys: readonly string[]) {
    const numbers = keys.map(numberOf)
    let highest = -1
    for (const n of numbers) if (n > highest) highest = n
    this.bits = new Uint32Array(highest < 0 ? 0 : (highest >>> 5) + 1)
    for (const n of numbers) this.bits[n >>> 5]! |= 1 << (n & 31)
    this.keys = numbers.map((n) => keyByNumber[n]!)
  }

  has(key: string): boolean {
    const n = numberByKey.get(key)
    if (n === undefined) return false
    const word = n >>> 5
    return word < this.bits.length && (this.bits[word]! & (1 << (n & 31))) !== 0
  }
}
