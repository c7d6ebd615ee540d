/**
 * Client uuids: accepted in the forms a UUID parser accepts (hyphenated,
 * 32 hex digits, braced, urn:uuid:) and re-emitted lowercase and hyphenated.
 */
const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ANY_FORM = /^(?:urn:uuid:|\{)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i

/** undefined = absent (or empty string); null = present but invalid. */
export function normaliseUuid(value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') return null
  if (HYPHENATED.test(value)) return value
  const match = ANY_FORM.exec(value)
  if (!match) return null
  return `${match[1]}-${match[2]}-${match[3]}-${match[4]}-${match[5]}`.toLowerCase()
}
