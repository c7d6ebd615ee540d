/**
 * capture's own view of a bench cell, from two scrapes of its /metrics (at the
 * start and end of the measured phase): how long a group commit (write +
 * fdatasync) took, how many messages each one carried, how long a publish
 * waited for durability, and the server-side request time. With these a slow
 * cell can be told apart: CPU-bound (commits fast, CPU ~1 core per worker) or
 * waiting on the disk (commits slow, CPU idle).
 *
 * Metrics that are missing (renamed, or a build without the local log) are
 * simply left out; the bench never fails because of them.
 */
export type MetricTotals = ReadonlyMap<string, number>

export interface SinkFigures {
  /** Mean duration of one group commit (write + fdatasync), ms. */
  readonly commitMeanMs?: number
  readonly commitsPerSec?: number
  /** Mean messages made durable by one fdatasync. */
  readonly messagesPerCommit?: number
  /** Mean time a publish waited until its messages were durable, ms. */
  readonly publishWaitMeanMs?: number
  /** Mean time from request head to reply, measured inside capture, ms. */
  readonly requestMeanMs?: number
}

const SERIES = [
  'capture_local_log_fsync_duration_seconds_sum',
  'capture_local_log_fsync_duration_seconds_count',
  'capture_local_log_group_commit_messages_sum',
  'capture_sink_write_duration_seconds_sum',
  'capture_sink_write_duration_seconds_count',
  'capture_http_request_duration_seconds_sum',
  'capture_http_request_duration_seconds_count',
] as const

/** Sums every label set of the series above; undefined when /metrics cannot be read. */
export async function scrapeTotals(port: number): Promise<MetricTotals | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
    if (response.status !== 200) return undefined
    const totals = new Map<string, number>()
    for (const line of (await response.text()).split('\n')) {
      if (line.startsWith('#')) continue
      const name = line.slice(0, line.search(/[{ ]/))
      if (!(SERIES as readonly string[]).includes(name)) continue
      const value = Number(line.slice(line.lastIndexOf(' ') + 1))
      if (Number.isFinite(value)) totals.set(name, (totals.get(name) ?? 0) + value)
    }
    return totals
  } catch {
    return undefined
  }
}

export function sinkFigures(before: MetricTotals | undefined, after: MetricTotals | undefined, seconds: number): SinkFigures | undefined {
  if (before === undefined || after === undefined) return undefined
  const delta = (name: (typeof SERIES)[number]): number | undefined => {
    const end = after.get(name)
    return end === undefined ? undefined : end - (before.get(name) ?? 0)
  }
  const ratio = (a: number | undefined, b: number | undefined, scale = 1): number | undefined =>
    a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * scale * 100) / 100
  const commits = delta('capture_local_log_fsync_duration_seconds_count')
  return {
    commitMeanMs: ratio(delta('capture_local_log_fsync_duration_seconds_sum'), commits, 1000),
    commitsPerSec: ratio(commits, seconds),
    messagesPerCommit: ratio(delta('capture_local_log_group_commit_messages_sum'), commits),
    publishWaitMeanMs: ratio(delta('capture_sink_write_duration_seconds_sum'), delta('capture_sink_write_duration_seconds_count'), 1000),
    requestMeanMs: ratio(delta('capture_http_request_duration_seconds_sum'), delta('capture_http_request_duration_seconds_count'), 1000),
  }
}
