import { CacheConfigSchema } from '@latchkey/cache'
import { loadConfig } from '@latchkey/config'
import Type from 'typebox'
import type { AppConfig } from './build-app.ts'
import { ProgramConfigSchema } from './program-config.ts'
import { selectTargets, type TargetRegistry } from './target.ts'

/**
 * The targets `TARGET` selects and every variable they and the program read, validated together
 * so that one start names every bad variable at once.
 */
export function loadProgramConfig(registry: TargetRegistry, env: NodeJS.ProcessEnv = process.env): { config: AppConfig; selected: string[] } {
  const { TARGET } = loadConfig(Type.Object({ TARGET: ProgramConfigSchema.properties.TARGET }), env)
  const selected = selectTargets(registry, TARGET)
  const schema = Type.Object({
    ...ProgramConfigSchema.properties,
    ...CacheConfigSchema.properties,
    ...Object.assign({}, ...selected.map((name) => registry[name]!.config.properties)),
  })
  return { config: loadConfig(schema, env) as AppConfig, selected }
}
