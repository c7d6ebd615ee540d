/**
 * The per-event `options` object of Capture V1: null or absent → defaults;
 * an object → its four known keys coerced (unknown keys ignored); anything
 * else, or a known key that cannot be coerced → undefined (the caller drops
 * the event as `invalid_options`). Coercion as upstream: booleans accept JSON
 * booleans, the strings true/false/1/0 (trimmed, any case) and numbers
 * (non-zero = true); strings accept strings and integers.
 */
export interface V1Options {
  readonly cookieless_mode?: boolean
  readonly disable_skew_correction?: boolean
  readonly process_person_profile?: boolean
  readonly product_tour_id?: string
}

const DEFAULTS: V1Options = {}
const INVALID = Symbol('invalid')

export function readV1Options(value: unknown): V1Options | undefined {
  if (value === undefined || value === null) return DEFAULTS
  if (typeof value !== 'object' || Array.isArray(value)) return undefined
  const raw = value as Record<string, unknown>
  const cookieless = toBool(raw.cookieless_mode)
  const skew = toBool(raw.disable_skew_correction)
  const person = toBool(raw.process_person_profile)
  const tour = toText(raw.product_tour_id)
  if (cookieless === INVALID || skew === INVALID || person === INVALID || tour === INVALID) return undefined
  if (cookieless === undefined && skew === undefined && person === undefined && tour === undefined) return DEFAULTS
  return { cookieless_mode: cookieless, disable_skew_correction: skew, process_person_profile: person, product_tour_id: tour }
}

function toBool(value: unknown): boolean | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0
  if (typeof value === 'string') {
    switch (value.trim().toLowerCase()) {
      case 'true':
      case '1':
        return true
      case 'false':
      case '0':
        return false
    }
  }
  return INVALID
}

function toText(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isInteger(value)) return String(value)
  return INVALID
}
