import type { FastifyInstance } from 'fastify'
import type { TObject } from 'typebox'

/** What the program needs to know of a service to host it. */
export interface Target {
  /** Variables the service reads, validated at boot with the program's. */
  config: TObject
  /**
   * Shared facilities the service needs; each is set up once per process. `cache`: Redis (L2);
   * `localCache`: an in-process L1 kept fresh by the invalidation fan-out; `natsOptional`: the
   * service can still serve its API while NATS is unreachable (readiness reports it degraded).
   */
  uses: { cache?: boolean; localCache?: boolean; natsOptional?: boolean }
  /** Registers the service's plugin; `config` holds every validated variable of the process. */
  register(app: FastifyInstance, config: Record<string, unknown>): Promise<void>
}

export type TargetRegistry = Record<string, Target>

export class UnknownTargetError extends Error {}

/** `TARGET` (`all`, or a comma list of names) to the services to run, in the registry's order. */
export function selectTargets(registry: TargetRegistry, value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean)
  if (names.length === 0 || names.includes('all')) return Object.keys(registry)
  const unknown = names.filter((name) => !(name in registry))
  if (unknown.length > 0) {
    throw new UnknownTargetError(
      `Unknown TARGET ${unknown.map((n) => `"${n}"`).join(', ')}: choose "all" or a comma list of ${Object.keys(registry).join(', ')}`,
    )
  }
  return Object.keys(registry).filter((name) => names.includes(name))
}
