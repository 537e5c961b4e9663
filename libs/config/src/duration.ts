import Type from 'typebox'

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const pattern = '^[0-9]+(ms|s|m|h|d)$'

/** A duration variable such as `30s`, `15m` or `1h`, validated as text and read with `parseDuration`. */
export function Duration(defaultValue: string, description?: string) {
  return Type.String({ pattern, default: defaultValue, ...(description ? { description } : {}) })
}

/** `"15m"` → 900000. Throws on anything that is not a number followed by ms, s, m, h or d. */
export function parseDuration(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text.trim())
  if (!match) throw new Error(`Not a duration: ${JSON.stringify(text)} (expected e.g. 500ms, 30s, 5m, 1h, 1d)`)
  return Number(match[1]) * units[match[2]!]!
}
