/**
 * PublishTracker: the outcome of one publish to Kafka, counted from delivery
 * reports instead of one promise per message. Each message is produced with a
 * DeliveryRef (tracker + index) as librdkafka's opaque; each report marks its
 * message acknowledged or failed and decrements the count, and when the count
 * reaches zero the tracker settles once with a SendResult.
 *
 * The result names exactly the messages Kafka did not acknowledge, so the
 * spool stores those and not the acknowledged ones (no duplicates of our own
 * making). It waits for every enqueued message's verdict, which librdkafka
 * bounds by message.timeout.ms; forceSettle() ends the wait at shutdown.
 */
import type { CaptureError } from '../../errors/capture-error.js'
import type { DeliveryErrorCause } from '../../observability/metrics.js'
import type { PreparedMessage } from '../../pipeline/ports.js'

export type SendResult =
  | { readonly ok: true }
  | {
      readonly ok: false
      readonly error: CaptureError
      /** Whether the undelivered messages may be stored elsewhere and sent later (false for too large). */
      readonly retryable: boolean
      /** The messages without an acknowledgement, in publish order. */
      readonly undelivered: readonly PreparedMessage[]
    }

export interface DeliveryRef {
  readonly tracker: PublishTracker
  readonly index: number
}

const PENDING = 0
const DELIVERED = 1
const FAILED = 2

/** Builds the request's error once, at settle time (not once per failed message). */
export type ErrorFactory = (cause: DeliveryErrorCause, err: unknown) => CaptureError

export class PublishTracker {
  private pending: number
  private readonly status: Uint8Array
  private failure: { cause: DeliveryErrorCause; err: unknown } | undefined
  private settled = false

  /** The messages, or how to get them back once they live only in an encoded batch. */
  private messages: readonly PreparedMessage[] | (() => readonly PreparedMessage[])

  constructor(
    messages: readonly PreparedMessage[],
    private readonly toError: ErrorFactory,
    private readonly done: (result: SendResult) => void,
    /** The caller takes equal copies of undelivered messages (KafkaSink.send's `copies`). */
    private readonly copiesAllowed = false,
  ) {
    this.messages = messages
    this.pending = messages.length
    this.status = new Uint8Array(messages.length)
  }

  /**
   * Lets go of the message objects where the caller allows copies: `recover`
   * rebuilds them (from the encoded batch) should any be undelivered. While
   * Kafka has not answered, only the encoded bytes stay alive, outside the V8
   * heap.
   */
  holdAs(recover: () => readonly PreparedMessage[]): void {
    if (this.copiesAllowed) this.messages = recover
  }

  get isSettled(): boolean {
    return this.settled
  }

  delivered(index: number): void {
    this.mark(index, DELIVERED)
  }

  failed(index: number, cause: DeliveryErrorCause, err: unknown): void {
    this.remember(cause, err)
    this.mark(index, FAILED)
  }

  /** Marks every message still without a verdict delivered (the batch engine's completion); returns how many. */
  deliverRest(): number {
    let count = 0
    for (let i = 0; i < this.status.length && !this.settled; i++) {
      if (this.status[i] === PENDING) {
        count++
        this.mark(i, DELIVERED)
      }
    }
    return count
  }

  /** Messages from `index` on were never enqueued (the enqueue of `index` failed). */
  notEnqueued(index: number, cause: DeliveryErrorCause, err: unknown): void {
    this.remember(cause, err)
    for (let i = index; i < this.status.length; i++) this.mark(i, FAILED)
  }

  /** Settles now, counting every message without a verdict as undelivered (shutdown). */
  forceSettle(cause: DeliveryErrorCause, err: unknown): void {
    if (this.settled) return
    this.remember(cause, err)
    for (let i = 0; i < this.status.length; i++) this.mark(i, FAILED)
  }

  private remember(cause: DeliveryErrorCause, err: unknown): void {
    // A too-large message decides the reply (413) whatever else failed.
    if (this.failure === undefined || (cause === 'message_too_large' && this.failure.cause !== cause)) {
      this.failure = { cause, err }
    }
  }

  private mark(index: number, state: number): void {
    if (this.settled || this.status[index] !== PENDING) return
    this.status[index] = state
    if (--this.pending === 0) this.settle()
  }

  private settle(): void {
    this.settled = true
    if (this.failure === undefined) {
      this.done({ ok: true })
      return
    }
    const messages = typeof this.messages === 'function' ? this.messages() : this.messages
    const undelivered: PreparedMessage[] = []
    for (let i = 0; i < this.status.length; i++) if (this.status[i] !== DELIVERED) undelivered.push(messages[i]!)
    const { cause, err } = this.failure
    this.done({ ok: false, error: this.toError(cause, err), retryable: cause !== 'message_too_large', undelivered })
  }
}
