/**
 * The exactly-once port of Capture V1: what the pipeline asks of the store
 * that remembers which (token, uuid) pairs are durable. The protocol and its
 * limits are described with the implementation, limiters/uuid-dedup.ts.
 */
export type ClaimState = 'new' | 'durable' | 'in_flight'

export interface UuidClaim {
  /** One state per uuid, in order. */
  readonly states: readonly ClaimState[]
  /** The store keys of this claim, by position (undefined where not claimed). */
  readonly keys: readonly (string | undefined)[]
}

export interface UuidDedup {
  claim(token: string, uuids: readonly string[]): Promise<UuidClaim>
  /** Marks the claimed positions whose events are durable. Never rejects. */
  commit(claim: UuidClaim, durable: readonly boolean[]): Promise<void>
  /** Ends this process's claim on every position (call once, whatever happened). */
  release(claim: UuidClaim): void
}
