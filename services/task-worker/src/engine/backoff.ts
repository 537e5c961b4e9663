/**
 * Exponential backoff with full jitter: the wait before retry n (n = 1 after the first failed
 * attempt) is uniform in [0, min(maxMs, baseMs · 2^(n-1))]. Full jitter spreads the retries of
 * tasks that failed together (an outage) instead of sending them back in waves.
 */
export function retryDelayMs(failedAttempt: number, policy: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failedAttempt - 1))
  // At least 1 ms: a NAK without a delay would be redelivered at once.
  return Math.max(1, Math.floor(random() * ceiling))
}

/** The ceiling of the wait after `failedAttempt` (the largest delay full jitter can draw). */
export function retryCeilingMs(failedAttempt: number, policy: { baseMs: number; maxMs: number }): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failedAttempt - 1))
}
