/**
 * Retention plan: which segments of a log directory to delete so it stays
 * within LOG_RETENTION_BYTES and LOG_RETENTION_HOURS. Pure (the caller lists
 * the files), so every rule is tested without a disk.
 *
 * Rules, oldest segment first (file-name order is start-time order):
 * - only a segment that is sealed (no process will append to it again) and
 *   fully forwarded (in the spool: the drainer's checkpoint covers all its
 *   complete lines; a plain local log has nothing to forward) may go;
 * - one whose last write is older than the age limit goes (reason `age`);
 * - then, while the directory is over the size limit, the oldest deletable
 *   one goes (reason `size`).
 * A limit of 0 is off. What cannot be deleted is reported, not deleted: the
 * segment being written, and spooled data Kafka does not have yet, are never
 * lost to retention (the spool budget, SPOOL_MAX_BYTES, bounds the latter).
 */
import type { RetentionReason } from '../../observability/metrics.js'
import type { Bytes, Millis } from '../../units.js'

export type { RetentionReason }

export interface SegmentInfo {
  readonly name: string
  readonly size: number
  /** Last modification (the newest line's write), epoch ms. */
  readonly mtimeMs: number
  readonly sealed: boolean
  /** False while it holds lines the drainer has not forwarded. */
  readonly forwarded: boolean
}

export interface RetentionLimits {
  /** 0 = no size limit. */
  readonly maxBytes: Bytes
  /** 0 = no age limit. */
  readonly maxAgeMs: Millis
}

export interface RetentionPlan {
  readonly remove: ReadonlyArray<{ readonly name: string; readonly size: number; readonly reason: RetentionReason }>
  /** Bytes of the segments kept. */
  readonly keptBytes: number
  /** Kept bytes that retention may not delete (being written, or not forwarded yet). */
  readonly protectedBytes: number
}

export function planRetention(segments: readonly SegmentInfo[], limits: RetentionLimits, now: number): RetentionPlan {
  const ordered = [...segments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const remove: Array<RetentionPlan['remove'][number]> = []
  const deletable = (s: SegmentInfo): boolean => s.sealed && s.forwarded
  let kept = ordered.reduce((sum, s) => sum + s.size, 0)
  const gone = new Set<string>()
  const drop = (s: SegmentInfo, reason: RetentionReason): void => {
    remove.push({ name: s.name, size: s.size, reason })
    gone.add(s.name)
    kept -= s.size
  }
  if (limits.maxAgeMs > 0) {
    for (const s of ordered) if (deletable(s) && now - s.mtimeMs > limits.maxAgeMs) drop(s, 'age')
  }
  if (limits.maxBytes > 0) {
    for (const s of ordered) {
      if (kept <= limits.maxBytes) break
      if (!gone.has(s.name) && deletable(s)) drop(s, 'size')
    }
  }
  const protectedBytes = ordered.filter((s) => !gone.has(s.name) && !deletable(s)).reduce((sum, s) => sum + s.size, 0)
  return { remove, keptBytes: kept, protectedBytes }
}
