import type { Static, TObject } from 'typebox'
import Value from 'typebox/value'

/** Raised at boot when the environment is wrong; names every offending variable. */
export class ConfigError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/**
 * Reads the variables a schema names from the environment, fills defaults, converts strings to
 * numbers and booleans, and fails fast naming each bad variable and the value it had.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const picked: Record<string, unknown> = {}
  for (const name of Object.keys(schema.properties)) {
    const raw = env[name]
    if (raw !== undefined && raw !== '') picked[name] = raw
  }
  const value = Value.Convert(schema, Value.Default(schema, picked))
  if (Value.Check(schema, value)) return value as Static<S>
  const problems = [...Value.Errors(schema, value)].map((error) => {
    const name = error.instancePath.replace(/^\//, '') || String((error.params as { requiredProperties?: string[] }).requiredProperties ?? '')
    return `${name}=${JSON.stringify(env[name] ?? '')}: ${error.message}`
  })
  throw new ConfigError(problems)
}
