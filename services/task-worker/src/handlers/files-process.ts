import { processUploadedFile } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'
import { TaskRejectedError } from '../registry.ts'

/** File processing: size, SHA-256, MIME type and CSV row count of an uploaded file. */
export default defineBusinessTask({
  type: 'files.process',
  description: 'Inspects an uploaded file in FILE_STORAGE_DIR (by fileId, or org + path) and records its size, SHA-256, MIME type and CSV row count',
  queues: ['file_processing'],
  payload: Type.Union([
    Type.Object({ fileId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
    Type.Object(
      { org: Type.String({ minLength: 1, maxLength: 200 }), path: Type.String({ minLength: 1, maxLength: 1_000, description: 'Relative to FILE_STORAGE_DIR' }) },
      { additionalProperties: false },
    ),
  ]),
  timeoutMs: 30 * 60_000,
  async run(payload, { signal, services }) {
    const result = await processUploadedFile(services.business, payload, { storageDir: services.settings.fileStorageDir, signal })
    // Recorded as failed on its row (the dashboard counts it); no retry brings the file back.
    if (result.status === 'failed') throw new TaskRejectedError(`files.process: ${result.error}`)
    return result
  },
})
