/**
 * publishSettled: hands a V1 request's messages to the sink and reports, per
 * message, whether it is durable — within CAPTURE_V1_PUBLISH_TIMEOUT_MS.
 *
 * The Sink port is all or nothing (publish resolves when every message is
 * durable, rejects otherwise), so today a sink failure makes every message of
 * the request not durable. A sink that can say which messages landed may
 * implement `publishEach` (same promise, one flag per message); then only
 * the others are reported, and only those answer `retry`.
 *
 * A publish still running at the deadline keeps running: `late` settles with
 * its final flags so the caller can still mark what landed (a resend then
 * answers `ok` instead of writing it again).
 */
import { isCaptureError } from '../../errors/capture-error.js'
import type { Millis } from '../../units.js'
import type { PreparedMessage, Sink } from '../ports.js'

export interface PerMessageSink extends Sink {
  /** Resolves with one flag per message: true = durable. Never rejects. */
  publishEach(messages: readonly PreparedMessage[]): Promise<readonly boolean[]>
}

export interface Settlement {
  readonly durable: readonly boolean[]
  /** Seconds the client should wait before resending what is not durable. */
  readonly retryAfterSeconds: number
  /** Final flags of a publish that outlived the deadline; undefined when it did not. */
  readonly late?: Promise<readonly boolean[]>
  /** A non-retryable sink refusal (e.g. message_too_large): the messages can never be written. */
  readonly refused: boolean
}

const hasPublishEach = (sink: Sink): sink is PerMessageSink => typeof (sink as Partial<PerMessageSink>).publishEach === 'function'

export async function publishSettled(sink: Sink, messages: readonly PreparedMessage[], timeout: Millis): Promise<Settlement> {
  if (messages.length === 0) return { durable: [], retryAfterSeconds: 1, refused: false }
  let retryAfterSeconds = 1
  let refused = false
  const none = (): boolean[] => new Array<boolean>(messages.length).fill(false)
  const write: Promise<readonly boolean[]> = hasPublishEach(sink)
    ? sink.publishEach(messages)
    : sink.publish(messages).then(
        () => new Array<boolean>(messages.length).fill(true),
        (err: unknown) => {
          if (isCaptureError(err)) {
            retryAfterSeconds = Math.max(1, Math.ceil(err.options.retryAfter ?? 1))
            refused = !err.spec.retryable
          }
          return none()
        },
      )
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeout) })
  const first = await Promise.race([write, deadline])
  clearTimeout(timer)
  if (first === undefined) return { durable: none(), retryAfterSeconds, late: write, refused: false }
  return { durable: first, retryAfterSeconds, refused }
}
