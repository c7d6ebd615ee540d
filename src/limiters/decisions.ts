/**
 * The Decision values limiters hand out, allocated once: a request's decisions
 * array holds references to these, never a new object per event.
 */
import type { Decision } from '../pipeline/ports.js'

export const KEEP: Decision = { keep: true, lane: 'normal' }
export const KEEP_OVERFLOW: Decision = { keep: true, lane: 'overflow' }
export const KEEP_OVERFLOW_FORCED: Decision = { keep: true, lane: 'overflow_forced' }
export const DROP_TOKEN_DROPPER: Decision = { keep: false, cause: 'token_dropper' }
export const DROP_OVER_QUOTA: Decision = { keep: false, cause: 'over_quota' }
export const DROP_DUPLICATE: Decision = { keep: false, cause: 'duplicate' }
