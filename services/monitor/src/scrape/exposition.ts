/** One sample as Prometheus stores it: a histogram arrives as its `_bucket`, `_sum` and `_count` series. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  /** The series as the exposition wrote it (`name{labels}`): an identity that costs nothing to compute. */
  key?: string
}

// `name{label="value",...} value [timestamp]`; label values may hold escaped quotes and backslashes.
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g

const unescape = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))

const parseValue = (text: string): number => {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  return Number(text)
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4, what every Latchkey process and
 * most exporters serve) into flat samples, keeping only the metric names `wanted` accepts.
 * Hand-written because the one npm parser (parse-prometheus-text-format 1.1.1) merges every
 * series of a histogram into one and drops their labels.
 */
export function parseExposition(text: string, wanted: (name: string) => boolean = () => true): Sample[] {
  const samples: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = sampleLine.exec(line)
    if (!match) continue
    const name = match[1]!
    if (!wanted(name)) continue
    const labels: Record<string, string> = {}
    if (match[2]) for (const pair of match[2].matchAll(labelPair)) labels[pair[1]!] = unescape(pair[2]!)
    const value = parseValue(match[3]!)
    if (!Number.isNaN(value)) samples.push({ name, labels, value, key: match[2] ? `${name}{${match[2]}}` : name })
  }
  return samples
}
