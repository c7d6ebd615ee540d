/**
 * Bounded disk for the log directory (DATA_DIR): retention by size and age,
 * and the free-space warning. Defaults keep a laptop safe: at most 10 GiB and
 * 7 days of segments, and a warning when the disk has under 2 GiB left.
 * 0 turns a limit off. Retention never deletes the segment being written nor,
 * in Kafka mode, spooled data the drainer has not forwarded.
 */
import type { EnvReader } from './env-parsers.js'
import { bytes, ms, MiB, type Bytes, type Millis } from '../units.js'

const GiB = 1024 * MiB
const HOUR_MS = 3_600_000

export interface RetentionConfig {
  /** LOG_RETENTION_BYTES: segments beyond this total are deleted, oldest first (0 = no limit). */
  readonly maxBytes: Bytes
  /** LOG_RETENTION_HOURS: segments last written longer ago are deleted (0 = no limit). */
  readonly maxAgeMs: Millis
  /** LOG_DISK_FREE_WARN_BYTES: warn when the file system has less free space (0 = never). */
  readonly diskFreeWarnBytes: Bytes
}

export function readRetention(read: EnvReader): RetentionConfig {
  return {
    maxBytes: bytes(read.int('LOG_RETENTION_BYTES', 10 * GiB, { min: 0 })),
    maxAgeMs: ms(read.int('LOG_RETENTION_HOURS', 168, { min: 0, max: 24 * 365 * 100 }) * HOUR_MS),
    diskFreeWarnBytes: bytes(read.int('LOG_DISK_FREE_WARN_BYTES', 2 * GiB, { min: 0 })),
  }
}
