// In-process micro-benchmarks: time a loop of many calls and report nanoseconds per call.

export interface MicroResult {
  /** Median over the measured rounds. */
  nsPerOp: number
  /** Best round. */
  minNsPerOp: number
  iterations: number
  rounds: number
}

/**
 * Runs `loop(n)` (which must perform `n` operations) once to warm up, then `rounds` times, and
 * reports the time per operation. `loop` returns something derived from the results so that the
 * work cannot be optimized away; it is accumulated into a sink.
 */
export async function measure(loop: (n: number) => unknown | Promise<unknown>, options: { iterations: number; rounds?: number }): Promise<MicroResult> {
  const rounds = options.rounds ?? 5
  const perRound = Math.max(1, Math.floor(options.iterations / rounds))
  let sink: unknown = await loop(perRound)
  const times: number[] = []
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint()
    sink = await loop(perRound)
    times.push(Number(process.hrtime.bigint() - start) / perRound)
  }
  if (sink === Symbol.for('never')) console.log(sink)
  times.sort((a, b) => a - b)
  return { nsPerOp: times[Math.floor(times.length / 2)]!, minNsPerOp: times[0]!, iterations: perRound * rounds, rounds }
}
