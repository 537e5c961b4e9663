import fp from 'fastify-plugin'

export type DependencyState = 'up' | 'degraded' | 'down'

/** A dependency the process watches: `critical` ones make `/readyz` answer 503 when down. */
export interface ReadinessCheck {
  name: string
  critical: boolean
  check(): Promise<{ state: DependencyState; detail?: string }> | { state: DependencyState; detail?: string }
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'unready'
  checks: Record<string, { state: DependencyState; critical: boolean; detail?: string }>
}

export interface Readiness {
  add(check: ReadinessCheck): void
  /** Set on SIGTERM: the process is draining and should get no new traffic. */
  draining: boolean
  report(): Promise<ReadinessReport>
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

const checkTimeoutMs = 2_000

async function runCheck(check: ReadinessCheck): Promise<{ state: DependencyState; detail?: string }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<{ state: DependencyState; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'down', detail: `no answer within ${checkTimeoutMs} ms` }), checkTimeoutMs)
  })
  try {
    return await Promise.race([Promise.resolve(check.check()), timeout])
  } catch (err) {
    return { state: 'down', detail: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

/** The registry behind `/readyz`: each plugin that opens a connection adds its own check. */
export const readinessPlugin = fp(
  async (fastify) => {
    const checks: ReadinessCheck[] = []
    const readiness: Readiness = {
      draining: false,
      add: (check) => void checks.push(check),
      async report() {
        const results = await Promise.all(checks.map(async (c) => [c, await runCheck(c)] as const))
        const report: ReadinessReport = { status: 'ready', checks: {} }
        for (const [check, result] of results) {
          report.checks[check.name] = { ...result, critical: check.critical }
          if (result.state === 'down' && check.critical) report.status = 'unready'
          else if (result.state !== 'up' && report.status === 'ready') report.status = 'degraded'
        }
        if (readiness.draining) report.status = 'unready'
        return report
      },
    }
    fastify.decorate('readiness', readiness)
  },
  { name: 'readiness' },
)
