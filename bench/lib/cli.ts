import { parseArgs, type ParseArgsConfig } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * A benchmark's flags: a bad one stops it with the usage and exit 2; `--help` prints the usage
 * and exits 0 (the options should declare `help`).
 */
export function parseFlags<O extends Options>(command: string, usage: string, options: O) {
  let values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']
  try {
    values = parseArgs({ options, strict: true }).values
  } catch (err) {
    process.stderr.write(`${command}: ${(err as Error).message}\n${usage}\n`)
    process.exit(2)
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`)
    process.exit(0)
  }
  return values
}

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
