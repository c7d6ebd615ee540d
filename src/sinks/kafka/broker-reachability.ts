/**
 * Broker reachability, as librdkafka sees it: the statistics callback (every
 * second) lists each broker connection's state; at least one in state UP means
 * Kafka is reachable, and so does an acknowledged delivery (both flip it back
 * at once). Going down takes two pieces of evidence at least CONFIRM_MS apart
 * (a statistics document with no UP connection, an "all brokers are down"
 * error): on a cluster, the moment between a dead leader's connection closing
 * and librdkafka connecting to another broker can show no UP connection, and
 * one broker lost of three must not send events to the spool. A failed
 * connect at startup is unreachable at once.
 *
 * Read by health (no I/O) and by the spool, which sends straight to disk while
 * Kafka is unreachable instead of letting requests wait for a timeout.
 */

export interface ReachabilityReport {
  readonly reachable: boolean
  /** Epoch ms of the last change (or of startup). */
  readonly sinceMs: number
  readonly detail: string
}

interface BrokerStats {
  readonly brokers?: Record<string, { readonly state?: string; readonly nodeid?: number }>
}

/** Number of broker connections in state UP in a librdkafka statistics JSON document. */
export function brokersUp(statsJson: string): number {
  let stats: BrokerStats
  try {
    stats = JSON.parse(statsJson) as BrokerStats
  } catch {
    return 0
  }
  let up = 0
  for (const broker of Object.values(stats.brokers ?? {})) if (broker.state === 'UP') up++
  return up
}

const ALL_DOWN = /brokers?(?: connections)? (?:are|is) down/i

/** Two "no broker up" observations this far apart make Kafka unreachable. */
export const CONFIRM_MS = 300

export class BrokerReachability {
  private reachable = false
  private sinceMs: number
  private reason = 'not connected yet'
  private upCount = 0
  /** Epoch ms of the first "no broker up" observation since the last sign of life. */
  private noneUpSince: number | undefined

  constructor(private readonly clock: () => number, private readonly onChange?: (reachable: boolean, reason: string) => void) {
    this.sinceMs = clock()
  }

  isReachable(): boolean {
    return this.reachable
  }

  onStats(statsJson: string): void {
    this.upCount = brokersUp(statsJson)
    if (this.upCount > 0) this.alive(`${this.upCount} broker connection(s) up`)
    else this.noneUp('no broker connection is up')
  }

  onClientError(message: string): void {
    if (ALL_DOWN.test(message)) this.noneUp(message)
  }

  onConnected(): void {
    this.alive('connected')
  }

  onConnectFailed(message: string): void {
    this.set(false, `connect failed: ${message}`)
  }

  onDelivered(): void {
    if (!this.reachable || this.noneUpSince !== undefined) this.alive('a delivery was acknowledged')
  }

  report(): ReachabilityReport {
    return { reachable: this.reachable, sinceMs: this.sinceMs, detail: this.reason }
  }

  private alive(reason: string): void {
    this.noneUpSince = undefined
    this.set(true, reason)
  }

  private noneUp(reason: string): void {
    const now = this.clock()
    if (!this.reachable) return this.set(false, reason)
    if (this.noneUpSince === undefined) this.noneUpSince = now
    else if (now - this.noneUpSince >= CONFIRM_MS) this.set(false, reason)
  }

  private set(reachable: boolean, reason: string): void {
    this.reason = reason
    if (reachable === this.reachable) return
    this.reachable = reachable
    this.sinceMs = this.clock()
    this.onChange?.(reachable, reason)
  }
}
