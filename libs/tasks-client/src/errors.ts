import { defineError } from '@latchkey/errors'

// Errors of the task routes and the client library. Bad input never enqueues anything.
export const UnknownTaskTypeError = defineError<[string]>('LK_ERR_UNKNOWN_TASK_TYPE', 'Unknown task type %s', 400)
export const TaskQueueNotAllowedError = defineError<[string, string, string]>('LK_ERR_TASK_QUEUE_NOT_ALLOWED', 'Task type %s does not run on queue %s (it runs on %s)', 400)
export const UnknownQueueError = defineError<[string, string]>('LK_ERR_UNKNOWN_QUEUE', 'Unknown queue %s: choose one of %s', 400)
export const InvalidTaskError = defineError<[string]>('LK_ERR_INVALID_TASK', '%s', 400)
export const PayloadTooLargeError = defineError<[number, number]>('LK_ERR_PAYLOAD_TOO_LARGE', 'The payload is %d bytes; the limit is %d bytes', 413)
export const TaskNotFoundError = defineError<[string]>('LK_ERR_TASK_NOT_FOUND', 'Task %s does not exist', 404)
export const TaskNotCancellableError = defineError<[string, string]>('LK_ERR_TASK_NOT_CANCELLABLE', 'Task %s is %s: only queued, delayed or retry-waiting tasks can be cancelled', 409)
export const TaskQueueUnavailableError = defineError<[string]>('LK_ERR_UNAVAILABLE', 'The task queue is unavailable (%s); retry later', 503)
