/**
 * Time as the service sees it: a Clock is injected wherever time is read
 * (request arrival, limiter refreshes, store expiry), so tests fix or step it.
 * A request's `now` is taken once when it arrives, never inside a stage.
 */
import { isoTime } from './iso-time.js'

export interface Now {
  readonly ms: number
  /** RFC 3339, echoed verbatim into every envelope's `now`. */
  readonly iso: string
}

export type Clock = () => Now

export const systemClock: Clock = () => {
  const ms = Date.now()
  return { ms, iso: isoTime(ms) }
}

export function fixedClock(iso: string): Clock {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`fixedClock: not a date: ${iso}`)
  return () => ({ ms, iso })
}
