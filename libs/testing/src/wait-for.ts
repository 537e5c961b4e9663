import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitForOptions {
  /** How long to keep asking before failing; default 20 s. */
  timeoutMs?: number
  /** The pause between two questions; default 50 ms. */
  intervalMs?: number
  /**
   * A question that throws fails the wait at once (for what must answer all along). By default it
   * is asked again, and its last error is named if time runs out: what answers may be restarting.
   */
  failOnError?: boolean
}

/**
 * Asks `probe` every `intervalMs` until it answers something other than undefined, and resolves
 * with that; rejects, naming `what`, after `timeoutMs`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: WaitForOptions = {}): Promise<T> {
  return (await timeUntil(what, probe, options)).value
}

/** Like waitFor, and answers how long it took too (from the call to the answer). */
export async function timeUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 50, failOnError = false }: WaitForOptions = {},
): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now()
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return { value, elapsedMs: performance.now() - started }
    } catch (err) {
      if (failOnError) throw err
      lastError = err
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`)
    }
    await sleep(intervalMs)
  }
}
