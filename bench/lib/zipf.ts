// Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s (Zipf), by binary search in the
// cumulative distribution; `random` is any uniform [0, 1) source (a seeded one for repeatable runs).
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n)
  let total = 0
  for (let i = 0; i < n; i++) {
    total += 1 / Math.pow(i + 1, s)
    cdf[i] = total
  }
  for (let i = 0; i < n; i++) cdf[i]! /= total
  return () => {
    const r = random()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < r) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** The share of draws that land on the `k` most frequent ranks. */
export function zipfTopShare(n: number, s: number, k: number): number {
  let top = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const w = 1 / Math.pow(i + 1, s)
    total += w
    if (i < k) top += w
  }
  return top / total
}
