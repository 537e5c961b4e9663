export { connectNats, NatsUnreachableError } from './connect-nats.ts'
export { natsPlugin } from './nats-plugin.ts'
export type { NatsConnection } from '@nats-io/transport-node'
export { messageContext, startPublishSpan, startProcessSpan, type MessageSpan, type MessageSpanOptions } from './message-tracing.ts'
