import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Log } from '@latchkey/logger'

const LEASE_KEY = 'leader'

export interface LeaderLeaseOptions {
  connection: NatsConnection
  /** The key-value bucket (`subjects.schedulerLease`). */
  bucket: string
  /** A lease not renewed for this long expires (the bucket's max age) and may be taken by another replica. */
  leaseMs: number
  /** The leader renews, and followers try to take the lease, this often. */
  renewMs: number
  log: Log
  /** Told when this replica becomes or stops being the leader. */
  onChange(leader: boolean): void
}

/**
 * Leader election over a NATS key-value bucket whose entries expire after the lease time. A
 * replica takes the lease by creating the key (which fails while another holds it) and keeps it
 * by updating it with compare-and-set on the revision it last wrote: a replica that lost the key
 * (it expired while the process was paused, another took it) learns so on its next renewal.
 * A leader counts itself leader only while its last successful renewal is younger than the lease
 * less one renewal period, so that it stops firing before another replica can take over. When it
 * is killed, the key expires and the next replica to try takes it: failover takes at most the
 * lease plus one renewal period. On a clean shutdown it deletes the key (hand-over within one period).
 */
export class LeaderLease {
  readonly replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  private kv: KV | undefined
  private revision = 0
  private renewedAt = 0
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private wasLeader = false

  constructor(private readonly options: LeaderLeaseOptions) {}

  async start(): Promise<void> {
    // ttl is the stream's max age: an entry not rewritten within it is removed by the server.
    this.kv = await new Kvm(this.options.connection).create(this.options.bucket, { ttl: this.options.leaseMs, history: 1 })
    await this.cycle()
  }

  /** True while this replica holds a lease that cannot have expired yet. */
  get isLeader(): boolean {
    return this.revision > 0 && Date.now() - this.renewedAt < this.options.leaseMs - this.options.renewMs
  }

  /** Stops renewing and, if leader, releases the lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
    if (this.revision > 0) {
      await this.kv?.delete(LEASE_KEY, { previousSeq: this.revision }).catch(() => {})
      this.revision = 0
      this.notify()
    }
  }

  private async cycle(): Promise<void> {
    this.running = this.attempt().finally(() => {
      this.running = undefined
      this.notify()
      if (!this.stopped) this.timer = setTimeout(() => void this.cycle(), this.options.renewMs)
    })
    await this.running
  }

  private async attempt(): Promise<void> {
    const kv = this.kv!
    const sentAt = Date.now()
    const value = JSON.stringify({ replica: this.replica, renewedAt: new Date(sentAt).toISOString() })
    try {
      this.revision = this.revision > 0 ? await kv.update(LEASE_KEY, value, this.revision) : await kv.create(LEASE_KEY, value)
      this.renewedAt = sentAt
    } catch (err) {
      const message = (err as Error).message ?? ''
      // "wrong last sequence": another replica holds the key (or took it after ours expired).
      if (/wrong last sequence|key exists/i.test(message)) {
        if (this.revision > 0) this.options.log.warn({ replica: this.replica }, 'scheduler lease lost to another replica')
        this.revision = 0
      } else if (this.revision > 0 && !this.isLeader) {
        this.options.log.warn({ err: { message } }, 'scheduler lease could not be renewed; no longer leader')
        this.revision = 0
      }
    }
  }

  private notify(): void {
    const leader = this.isLeader
    if (leader === this.wasLeader) return
    this.wasLeader = leader
    this.options.log.info({ replica: this.replica, leader }, leader ? 'this replica is the scheduler leader' : 'this replica is no longer the scheduler leader')
    this.options.onChange(leader)
  }
}
