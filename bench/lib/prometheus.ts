// Reads a process's /metrics (Prometheus text format) and sums series by name and labels.
import { request } from 'node:http'

export type Samples = { name: string; labels: Record<string, string>; value: number }[]

export function scrape(baseUrl: string): Promise<Samples> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/metrics`, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve(parse(text)))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

export function parse(text: string): Samples {
  const samples: Samples = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the series whose name matches and whose labels include `labels`. */
export function sum(samples: Samples, name: RegExp, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined
  for (const s of samples) {
    if (!name.test(s.name)) continue
    if (Object.entries(labels).some(([k, v]) => s.labels[k] !== v)) continue
    total = (total ?? 0) + s.value
  }
  return total
}
