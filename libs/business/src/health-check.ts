import type { Database } from '@latchkey/db'

export interface ComponentHealth {
  ok: boolean
  latencyMs: number
  error?: string
}

export interface HealthReport {
  healthy: boolean
  components: Record<string, ComponentHealth>
  checkedAt: string
}

/** Runs every probe at once, each bounded by `timeoutMs`; a probe that throws or is late is down. */
export async function probeComponents(probes: Record<string, () => Promise<unknown>>, timeoutMs: number): Promise<Record<string, ComponentHealth>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, ComponentHealth]> => {
      const started = performance.now()
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          probe(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
          }),
        ])
        return [name, { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 }]
      } catch (err) {
        return [name, { ok: false, latencyMs: Math.round((performance.now() - started) * 100) / 100, error: (err as Error).message }]
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  return Object.fromEntries(entries)
}

/**
 * Records the check of a task once (a redelivered task answers the row the first run wrote).
 * PostgreSQL being down is itself a finding that cannot be recorded there: the caller fails the
 * task, which its status then shows.
 */
export async function recordHealthCheck(db: Database, taskId: string, components: Record<string, ComponentHealth>): Promise<HealthReport> {
  const healthy = Object.values(components).every((c) => c.ok)
  await db.$executeRaw`
    INSERT INTO health_checks (task_id, healthy, components) VALUES (${taskId}::uuid, ${healthy}, ${JSON.stringify(components)}::jsonb)
    ON CONFLICT (task_id) DO NOTHING`
  const rows = await db.$queryRaw<{ healthy: boolean; components: Record<string, ComponentHealth>; checked_at: Date }[]>`
    SELECT healthy, components, checked_at FROM health_checks WHERE task_id = ${taskId}::uuid`
  const row = rows[0]!
  // Every 5 minutes makes 105,000 rows a year: keep a month, which is what anyone looks back on.
  await db.$executeRaw`DELETE FROM health_checks WHERE checked_at < now() - interval '30 days'`
  return { healthy: row.healthy, components: row.components, checkedAt: row.checked_at.toISOString() }
}
