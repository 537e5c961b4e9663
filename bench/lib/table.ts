// Markdown tables and number formatting for benchmark reports.

export function markdownTable(headers: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const cells = rows.map((row) => row.map(String))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)))
  const pad = (text: string, i: number) => ((align?.[i] ?? 'l') === 'r' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))
  const line = (row: string[]) => `| ${row.map((cell, i) => pad(cell, i)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => ((align?.[i] ?? 'l') === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  return [line(headers), rule, ...cells.map(line)].join('\n')
}

/** 12345.6 → "12,346" */
export const count = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'))

/** Milliseconds with a sensible precision: 0.412 ms, 3.21 ms, 45.2 ms, 1,234 ms. */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  if (value < 1) return `${value.toFixed(3)} ms`
  if (value < 10) return `${value.toFixed(2)} ms`
  if (value < 100) return `${value.toFixed(1)} ms`
  return `${count(value)} ms`
}

export const ns = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(value < 100 ? 1 : 0)} ns`)

export const percent = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : `${(value * 100).toFixed(0)}%`)

export const ratio = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(value < 10 ? 2 : 1)}×`)
