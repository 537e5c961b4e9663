/** A whole-number command-line flag, or the fallback; a bad value stops the benchmark with exit 2. */
export function integerFlag(command: string, name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${command}: --${name} must be an integer ≥ ${min}, got "${value}"\n`)
    process.exit(2)
  }
  return n
}
