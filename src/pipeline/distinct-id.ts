/**
 * distinct_id extraction, as upstream: top-level `distinct_id`/`$distinct_id`,
 * else `properties.distinct_id`; non-strings become compact JSON with sorted
 * object keys (as serde_json prints them); NUL → U+FFFD; at most 200 characters.
 */
const MAX_CHARS = 200

export function extractDistinctId(raw: Record<string, unknown>, properties: Record<string, unknown>): string | undefined {
  let value = raw.distinct_id ?? raw.$distinct_id
  if (value === undefined || value === null) value = properties.distinct_id
  if (value === undefined || value === null) return undefined
  let text = typeof value === 'string' ? value : stringifySorted(value)
  if (text.includes('\u0000')) text = text.replaceAll('\u0000', '\uFFFD')
  if (text.length > MAX_CHARS) text = truncateChars(text, MAX_CHARS)
  return text === '' ? undefined : text
}

/** Compact JSON with object keys sorted recursively. Throws RangeError when nested too deep. */
export function stringifySorted(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(stringifySorted).join(',')}]`
  const object = value as Record<string, unknown>
  const parts = Object.keys(object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stringifySorted(object[key])}`)
  return `{${parts.join(',')}}`
}

/** First `max` Unicode code points (a surrogate pair counts once, as Rust's chars() does). */
export function truncateChars(text: string, max: number): string {
  let units = 0
  for (let chars = 0; chars < max && units < text.length; chars++) {
    const code = text.charCodeAt(units)
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1
  }
  return text.slice(0, units)
}

/** Length in code points, without allocating when the UTF-16 length already decides. */
export function charLength(text: string, limit: number): number {
  if (text.length <= limit) return text.length
  let count = 0
  for (const _ of text) count++
  return count
}
