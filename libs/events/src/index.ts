export { subjects, type Subjects } from './subjects.ts'
export { encodeJson, decodeJson, type ChangeEvent, type L1InvalidationMessage, type WarmRequest } from './change-event.ts'
export { ensureChangeStream } from './change-stream.ts'
export { l1InvalidationListener, type L1Stats } from './l1-invalidation-listener.ts'
