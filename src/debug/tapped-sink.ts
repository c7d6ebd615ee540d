/**
 * The sink as the debugger sees it: the same sink, whose durable messages are
 * offered to the tap while someone watches. Installed only when the debug UI
 * is on; with nobody watching, a publish costs one boolean check more. A
 * sink that reports durability per message (Capture V1's publishEach) keeps
 * that ability, and only its durable messages are offered.
 */
import type { PreparedMessage, Sink } from '../pipeline/ports.js'
import type { PerMessageSink } from '../pipeline/v1/publish-v1.js'
import type { EventTap } from './event-tap.js'

export function tapSink(sink: Sink, tap: EventTap): Sink {
  const tapped: Sink = {
    kind: sink.kind,
    publish: (messages) => {
      const written = sink.publish(messages)
      if (!tap.active) return written
      return written.then(() => tap.offerMessages(messages))
    },
    health: () => sink.health(),
    healthComponents: () => sink.healthComponents(),
    close: () => sink.close(),
  }
  const perMessage = sink as Partial<PerMessageSink>
  if (typeof perMessage.publishEach !== 'function') return tapped
  const publishEach = perMessage.publishEach.bind(sink)
  const withEach: PerMessageSink = {
    ...tapped,
    publishEach: (messages) => {
      const settled = publishEach(messages)
      if (!tap.active) return settled
      return settled.then((durable) => {
        tap.offerMessages(durableOnly(messages, durable))
        return durable
      })
    },
  }
  return withEach
}

function durableOnly(messages: readonly PreparedMessage[], durable: readonly boolean[]): PreparedMessage[] {
  return messages.filter((_, index) => durable[index] === true)
}
