/**
 * Event time, computed the way PostHog's ingestion does:
 * the client timestamp corrected for clock skew with sent_at, or now − offset,
 * else now; more than 23 h in the future → now; outside years 0..9999 → epoch.
 */
const FUTURE_TOLERANCE_MS = 23 * 3600 * 1000
const MIN_MS = -62_167_219_200_000 // 0000-01-01T00:00:00Z (Date.UTC maps years 0..99 to 1900..1999)
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
const NAIVE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/** Parse an ISO 8601 / RFC 3339 (or naive, read as UTC) date; NaN when it is not one. */
export function parseTimestamp(text: string): number {
  return Date.parse(NAIVE.test(text) ? `${text.replace(' ', 'T')}Z` : text)
}

export interface TimeInputs {
  readonly timestamp?: string
  readonly offsetMs?: number
  readonly sentAtMs?: number
  readonly ignoreSentAt: boolean
}

export function computeTimestamp(input: TimeInputs, nowMs: number): number {
  let result = nowMs
  if (input.timestamp !== undefined) {
    const parsed = parseTimestamp(input.timestamp)
    if (!Number.isNaN(parsed)) {
      result = input.sentAtMs !== undefined && !input.ignoreSentAt ? parsed - (input.sentAtMs - nowMs) : parsed
    }
  }
  if (input.offsetMs !== undefined) result = nowMs - input.offsetMs
  if (result - nowMs > FUTURE_TOLERANCE_MS) result = nowMs
  if (!(result >= MIN_MS && result <= MAX_MS)) result = 0
  return result
}

/** `_`/sent_at query values are ms since epoch; seconds-based values (year ≤ 2020) are ignored. */
export function parseQuerySentAt(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value)) return undefined
  const ms = Number(value)
  return new Date(ms).getUTCFullYear() > 2020 && ms <= MAX_MS ? ms : undefined
}

export function parseSentAt(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = parseTimestamp(value)
  return Number.isNaN(ms) ? undefined : ms
}
