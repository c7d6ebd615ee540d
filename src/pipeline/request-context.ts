/**
 * What the pipeline knows about a request besides its body, taken once when
 * the request arrives. `now` comes from the injected clock, never from inside
 * a stage.
 */
export interface Now {
  readonly ms: number
  /** RFC 3339, echoed verbatim into every envelope's `now`. */
  readonly iso: string
}

export interface RequestContext {
  readonly now: Now
  readonly ip: string
  /** True on /engage: an object without `event` becomes `$identify`. */
  readonly isEngage: boolean
  /** From `Authorization: Bearer` or the `Token` header. */
  readonly headerToken?: string
  /** Query `_` / `sent_at` in ms, already checked to be after 2020. */
  readonly querySentAtMs?: number
}

export type Clock = () => Now

export const systemClock: Clock = () => {
  const date = new Date()
  return { ms: date.getTime(), iso: date.toISOString() }
}

export function fixedClock(iso: string): Clock {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`fixedClock: not a date: ${iso}`)
  return () => ({ ms, iso })
}
