import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'
import { parse } from 'csv-parse'
import mime from 'mime-types'
import { InvalidBusinessInputError } from './errors.ts'

export interface FileFacts {
  sizeBytes: number
  checksumSha256: string
  mimeType: string
  /** Data rows of a CSV file (its header not counted); null for other files. */
  rowCount: number | null
}

const isInside = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

/**
 * The absolute path of `path` inside the storage directory. A path that leaves it (`../`, an
 * absolute path, a symbolic link pointing out) is refused: a task payload must not read the
 * worker's other files. Undefined when the file does not exist.
 */
export async function resolveStoredFile(storageDir: string, path: string): Promise<string | undefined> {
  if (path.includes('\0')) throw new InvalidBusinessInputError(`file path ${JSON.stringify(path)} is not a valid path`)
  const root = await realpath(storageDir).catch(() => resolve(storageDir))
  const full = resolve(root, path)
  if (isAbsolute(path) || !isInside(root, full)) throw new InvalidBusinessInputError(`file path ${JSON.stringify(path)} is outside the storage directory`)
  let real: string
  try {
    real = await realpath(full)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (!isInside(root, real)) throw new InvalidBusinessInputError(`file path ${JSON.stringify(path)} leads outside the storage directory`)
  return real
}

/** The MIME type by the file's extension (`application/octet-stream` when unknown). */
export const mimeTypeOf = (path: string): string => mime.lookup(path) || 'application/octet-stream'

/**
 * Reads the file once: its SHA-256 and size, and for a CSV file its records, counted by a real
 * CSV parser (quoted fields may hold line breaks), less the header line.
 */
export async function inspectFile(path: string, signal?: AbortSignal): Promise<FileFacts> {
  const mimeType = mimeTypeOf(path)
  const isCsv = mimeType === 'text/csv' || extname(path).toLowerCase() === '.csv'
  const hash = createHash('sha256')
  let sizeBytes = 0
  let records = 0
  const parser = isCsv ? parse({ relax_column_count: true, skip_empty_lines: true }) : undefined
  const parsed = parser
    ? (async () => {
        for await (const _record of parser) records++
      })()
    : Promise.resolve()
  const input = createReadStream(path, signal ? { signal } : {})
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      hash.update(chunk)
      sizeBytes += chunk.length
      if (parser && !parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve))
    }
  } catch (err) {
    parser?.destroy()
    await parsed.catch(() => {})
    throw err
  }
  parser?.end()
  try {
    await parsed
  } catch (err) {
    throw new InvalidBusinessInputError(`${path} is not valid CSV: ${(err as Error).message}`)
  }
  return { sizeBytes, checksumSha256: hash.digest('hex'), mimeType, rowCount: isCsv ? Math.max(0, records - 1) : null }
}
