/** The EventLimiter that limits nothing: every event is kept in the normal lane. */
import type { EventLimiter } from '../pipeline/ports.js'
import { KEEP } from './decisions.js'

export const noLimits: EventLimiter = {
  decide: async ({ events }) => ({ decisions: events.map(() => KEEP), quotaLimited: [] }),
}
