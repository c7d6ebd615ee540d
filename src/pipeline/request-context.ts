/**
 * What the pipeline knows about a request besides its body, taken once when
 * the request arrives. `now` comes from the injected clock, never from inside
 * a stage.
 */
import type { Now } from '../clock.js'

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
