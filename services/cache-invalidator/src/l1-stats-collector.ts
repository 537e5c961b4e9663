import type { L1Stats, Subjects } from '@latchkey/events'
import { decodeJson } from '@latchkey/events'
import type { NatsConnection } from '@latchkey/nats'

/** Keeps the latest L1 report of every process holding an L1; a report older than `maxAgeMs` is dropped. */
export class L1StatsCollector {
  private readonly reports = new Map<string, L1Stats>()
  private subscription: ReturnType<NatsConnection['subscribe']> | undefined

  constructor(private readonly maxAgeMs: number) {}

  start(connection: NatsConnection, subjects: Subjects): void {
    this.subscription = connection.subscribe(subjects.l1Stats, {
      callback: (err, msg) => {
        if (err) return
        const report = decodeJson<L1Stats>(msg.data)
        this.reports.set(report.replica, report)
      },
    })
  }

  stop(): void {
    this.subscription?.unsubscribe()
  }

  current(now = Date.now()): L1Stats[] {
    for (const [replica, report] of this.reports) if (now - report.at > this.maxAgeMs) this.reports.delete(replica)
    return [...this.reports.values()]
  }
}
