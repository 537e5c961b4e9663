import type { NatsConnection } from '@nats-io/transport-node'
import type { Meter } from '@latchkey/telemetry'

/**
 * The NATS connection's state on `/metrics`: `latchkey_nats_connected` (1 connected, 0
 * reconnecting or closed) and `latchkey_nats_reconnects_total`, from the connection's status events.
 */
export function observeNats(meter: Meter, connection: NatsConnection): void {
  let connected = true
  let reconnects = 0
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') connected = false
      else if (status.type === 'reconnect') {
        connected = true
        reconnects++
      }
    }
  })()
  meter.createObservableGauge('latchkey_nats_connected', { description: 'Whether the NATS connection is up (1) or reconnecting or closed (0)' }).addCallback((result) => {
    result.observe(connected && !connection.isClosed() ? 1 : 0)
  })
  meter.createObservableCounter('latchkey_nats_reconnects', { description: 'Times the NATS connection was re-established' }).addCallback((result) => result.observe(reconnects))
}
