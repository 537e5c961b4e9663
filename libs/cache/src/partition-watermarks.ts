/**
 * What a process knows about each partition's (organization's) revisions. Every write to an
 * organization produces exactly one invalidation, numbered by the revision it created; they may
 * arrive here in any order and more than once (the writer applies its own at once, the
 * invalidator's fan-out follows).
 * - `applied`: every invalidation up to this revision has been applied (contiguously), so an entry
 *   still present is current at least as of `applied`;
 * - `seen`: the newest invalidation applied; a fill computed before it may be stale (its key may
 *   have been dropped already) and is refused: this closes the stale-fill race;
 * - `cleared`: the whole partition was dropped at this revision; older entries are dead.
 * The first invalidation of a partition this process has no marks for clears it: nothing older
 * can be vouched for. A gap that stays open longer than `gapTimeoutMs` (an invalidation lost
 * while NATS was down) is closed by clearing the partition at the newest revision seen.
 */
export interface PartitionMarks {
  applied: number
  seen: number
  cleared: number
  pending: Set<number> | undefined
  pendingSince: number
}

export class PartitionWatermarks {
  private readonly marks = new Map<string, PartitionMarks>()

  constructor(private readonly gapTimeoutMs = 5_000) {}

  get(partition: string): PartitionMarks | undefined {
    return this.marks.get(partition)
  }

  seen(partition: string): number {
    return this.marks.get(partition)?.seen ?? 0
  }

  advance(partition: string, revision: number, clear: boolean, now = Date.now()): void {
    const marks = this.marks.get(partition)
    if (!marks) {
      this.marks.set(partition, { applied: revision, seen: revision, cleared: revision, pending: undefined, pendingSince: 0 })
      return
    }
    if (revision > marks.seen) marks.seen = revision
    if (clear && revision > marks.cleared) marks.cleared = revision
    if (revision <= marks.applied) return
    if (revision === marks.applied + 1) {
      marks.applied = revision
      while (marks.pending?.delete(marks.applied + 1)) marks.applied++
      if (marks.pending?.size === 0) {
        marks.pending = undefined
        marks.pendingSince = 0
      }
      return
    }
    ;(marks.pending ??= new Set()).add(revision)
    if (marks.pendingSince === 0) marks.pendingSince = now
    if (now - marks.pendingSince > this.gapTimeoutMs) {
      marks.applied = marks.cleared = marks.seen
      marks.pending = undefined
      marks.pendingSince = 0
    }
  }

  /** Forgets everything (after NATS was unreachable and invalidations may have been missed). */
  reset(): void {
    this.marks.clear()
  }
}
