/**
 * RFC 3339 date-times with an explicit offset, as Capture V1 requires for
 * `PostHog-Request-Timestamp`, `created_at` and event timestamps. Naive times
 * (no offset), which the classic routes accept, are refused here.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/

/** Epoch ms, or NaN when `text` is not an RFC 3339 date-time with offset. */
export function parseRfc3339(text: unknown): number {
  if (typeof text !== 'string' || !RFC3339.test(text)) return Number.NaN
  return Date.parse(text.replace(' ', 'T'))
}
