import { posix } from 'node:path'
import type { BusinessDeps } from './business-deps.ts'
import { businessCacheKeys } from './cache-types.ts'
import { InvalidBusinessInputError } from './errors.ts'
import { inspectFile, resolveStoredFile, type FileFacts } from './file-inspection.ts'
import { resolveOrgId } from './org-lookup.ts'
import { writeBusinessChange } from './org-write.ts'

export type FileToProcess = { fileId: string } | { org: string; path: string }

export interface FileProcessingResult extends Partial<FileFacts> {
  fileId: string
  path: string
  status: 'processed' | 'failed'
  error?: string
  /** False when the row already held exactly these figures (a task run again). */
  changed: boolean
}

/** The file's row: found by id, or registered (once) for an organization and a path. */
async function fileRow(deps: BusinessDeps, file: FileToProcess): Promise<{ id: string; org_id: string; path: string }> {
  if ('fileId' in file) {
    const rows = await deps.db.$queryRaw<{ id: string; org_id: string; path: string }[]>`SELECT id, org_id, path FROM uploaded_files WHERE id = ${file.fileId}::uuid`
    if (!rows[0]) throw new InvalidBusinessInputError(`uploaded file ${file.fileId} does not exist`)
    return rows[0]
  }
  const orgId = await resolveOrgId(deps.db, file.org)
  // One row per file, however the path was spelled (`a/./b.csv` is `a/b.csv`).
  const path = posix.normalize(file.path)
  const rows = await deps.db.$queryRaw<{ id: string; org_id: string; path: string }[]>`
    INSERT INTO uploaded_files (id, org_id, path) VALUES (gen_random_uuid(), ${orgId}::uuid, ${path})
    ON CONFLICT (org_id, path) DO UPDATE SET path = EXCLUDED.path
    RETURNING id, org_id, path`
  return rows[0]!
}

/**
 * Processes one uploaded file from the storage directory: size, SHA-256, MIME type and, for CSV,
 * the row count, written to its row (status `processed`). A missing file marks the row `failed`.
 * The row changes, and the organization's dashboard is invalidated, only when the figures differ
 * from what the row holds: processing a file again changes nothing.
 */
export async function processUploadedFile(deps: BusinessDeps, file: FileToProcess, options: { storageDir: string; signal?: AbortSignal }): Promise<FileProcessingResult> {
  if ('path' in file) await resolveStoredFile(options.storageDir, file.path)
  const row = await fileRow(deps, file)
  const location = await resolveStoredFile(options.storageDir, row.path)
  const facts = location ? await inspectFile(location, options.signal) : undefined
  const status = facts ? 'processed' : 'failed'
  const error = facts ? null : `file ${row.path} not found in the storage directory`
  const done = await writeBusinessChange(deps, row.org_id, async (tx) => {
    const changed = await tx.$executeRaw`
      UPDATE uploaded_files SET
        size_bytes = ${facts?.sizeBytes ?? null}::bigint, checksum_sha256 = ${facts?.checksumSha256 ?? null}, mime_type = ${facts?.mimeType ?? null},
        row_count = ${facts?.rowCount ?? null}::int, status = ${status}, error = ${error}, processed_at = now()
      WHERE id = ${row.id}::uuid
        AND (size_bytes, checksum_sha256, mime_type, row_count, status, error)
            IS DISTINCT FROM (${facts?.sizeBytes ?? null}::bigint, ${facts?.checksumSha256 ?? null}, ${facts?.mimeType ?? null}, ${facts?.rowCount ?? null}::int, ${status}, ${error})`
    if (changed === 0) return undefined
    return { result: true, event: { type: `file.${status}`, payload: { file: row.id, path: row.path } }, stale: [businessCacheKeys.dashboard()] }
  })
  return { fileId: row.id, path: row.path, status, ...(facts ?? {}), ...(error ? { error } : {}), changed: done !== undefined }
}
