import { readFileSync } from 'node:fs'
import Value from 'typebox/value'
import { parse } from 'yaml'
import { RulesFileSchema, type RulesFile } from './rule-schema.ts'

/** The versioned defaults shipped with the service. */
export const defaultRulesPath = new URL('../../rules/alert-rules.yaml', import.meta.url)

/** Reads and validates a rules file; a bad file stops the monitor at boot, naming the problem. */
export function loadRulesFile(path: URL | string = defaultRulesPath): RulesFile {
  const document: unknown = parse(readFileSync(path, 'utf8'))
  if (!Value.Check(RulesFileSchema, document)) {
    const problems = [...Value.Errors(RulesFileSchema, document)].slice(0, 5).map((e) => `${e.instancePath || '/'}: ${e.message}`)
    throw new Error(`Invalid rules file ${String(path)}:\n  ${problems.join('\n  ')}`)
  }
  const names = new Set<string>()
  for (const rule of document.rules) {
    if (names.has(rule.name)) throw new Error(`Invalid rules file ${String(path)}: rule ${rule.name} appears twice`)
    names.add(rule.name)
  }
  return document
}
