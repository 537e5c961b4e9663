export { cacheInvalidatorTarget } from './target.ts'
export { cacheInvalidatorService } from './cache-invalidator-service.ts'
export { CONSUMER_NAME } from './invalidation-consumer.ts'
