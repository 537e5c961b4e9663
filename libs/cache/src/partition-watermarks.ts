/**
 * What a process knows about each partition's (organization's) revisions:
 * - `applied`: every invalidation up to this revision has been applied here, so an entry still
 *   present is current at least as of `applied`, and a fill computed before it may be stale and
 *   is refused (this closes the stale-fill race);
 * - `cleared`: the whole partition was invalidated at this revision, so older entries are dead.
 */
export interface PartitionMarks {
  applied: number
  cleared: number
}

export class PartitionWatermarks {
  private readonly marks = new Map<string, PartitionMarks>()

  get(partition: string): PartitionMarks | undefined {
    return this.marks.get(partition)
  }

  applied(partition: string): number {
    return this.marks.get(partition)?.applied ?? 0
  }

  advance(partition: string, revision: number, clear: boolean): void {
    const marks = this.marks.get(partition)
    if (!marks) {
      this.marks.set(partition, { applied: revision, cleared: clear ? revision : 0 })
      return
    }
    if (revision > marks.applied) marks.applied = revision
    if (clear && revision > marks.cleared) marks.cleared = revision
  }
}
