/**
 * A fault-injecting wrapper around the app's real sink, for tests of what a
 * route answers when writes fail: messages of chosen distinct_ids fail (only
 * those, through `publishEach`), every publish fails, or publishes hang until
 * released. Everything that does not fail reaches the real sink.
 */
import { CaptureError } from '../../src/errors/capture-error.js'
import type { PreparedMessage, Sink } from '../../src/pipeline/ports.js'
import type { PerMessageSink } from '../../src/pipeline/v1/publish-v1.js'

export interface Faults {
  /** Messages whose distinct_id header is listed are not written. */
  readonly failDistinctIds: Set<string>
  /** Every publish rejects with sink_unavailable. */
  failAll: boolean
  /** While set, publishes wait for it before writing. */
  hold?: Promise<void>
}

export function faultSink(real: Sink, faults: Faults, options: { perMessage: boolean }): Sink {
  const publish = async (messages: readonly PreparedMessage[]): Promise<void> => {
    if (faults.hold !== undefined) await faults.hold
    if (faults.failAll) throw new CaptureError('sink_unavailable', { detail: 'injected sink failure' })
    await real.publish(messages)
  }
  const wrapper: Sink = {
    kind: real.kind,
    publish,
    health: () => real.health(),
    healthComponents: () => real.healthComponents(),
    close: () => real.close(),
  }
  if (!options.perMessage) return wrapper
  const perMessage: PerMessageSink = {
    ...wrapper,
    async publishEach(messages) {
      const fails = (message: PreparedMessage): boolean => faults.failDistinctIds.has(message.headers.distinct_id ?? '')
      try {
        await publish(messages.filter((message) => !fails(message)))
      } catch {
        return messages.map(() => false)
      }
      return messages.map((message) => !fails(message))
    },
  }
  return perMessage
}

export const noFaults = (): Faults => ({ failDistinctIds: new Set(), failAll: false })
