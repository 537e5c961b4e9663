import { setTimeout as sleep } from 'node:timers/promises'
import { defineTask, TaskRejectedError } from '../registry.ts'

const readCount = (payload: Record<string, unknown>, name: string, max: number): number => {
  const value = payload[name]
  if (value === undefined) return 0
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) {
    throw new TaskRejectedError(`system.echo: payload.${name} must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`)
  }
  return value as number
}

/**
 * The diagnostic task (any queue): returns its payload as its result. With `payload.failTimes = n`
 * its first n attempts fail; with `payload.sleepMs = m` each attempt takes m ms. For health
 * checks, tests and benchmarks.
 */
export default defineTask<unknown, unknown>({
  type: 'system.echo',
  description: 'Returns its payload; payload.failTimes fails the first n attempts, payload.sleepMs makes each attempt take m ms',
  maxAttempts: 3,
  backoff: { baseMs: 100, maxMs: 10_000 },
  async handle(payload, context) {
    const options = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {}
    const failTimes = readCount(options, 'failTimes', 1_000)
    const sleepMs = readCount(options, 'sleepMs', 3_600_000)
    if (sleepMs > 0) await sleep(sleepMs, undefined, { signal: context.signal })
    if (context.attempt <= failTimes) {
      throw new Error(`system.echo: attempt ${context.attempt} fails on purpose (payload.failTimes = ${failTimes})`)
    }
    return payload ?? null
  },
})
