/**
 * Broker reachability, as librdkafka sees it: the statistics callback (every
 * second) lists each broker connection's state; at least one in state UP means
 * Kafka is reachable. "All brokers are down" errors and failed connects flip
 * it to unreachable at once; an acknowledged delivery flips it back at once.
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

export class BrokerReachability {
  private reachable = false
  private sinceMs: number
  private reason = 'not connected yet'
  private upCount = 0

  constructor(private readonly clock: () => number, private readonly onChange?: (reachable: boolean, reason: string) => void) {
    this.sinceMs = clock()
  }

  isReachable(): boolean {
    return this.reachable
  }

  onStats(statsJson: string): void {
    this.upCount = brokersUp(statsJson)
    if (this.upCount > 0) this.set(true, `${this.upCount} broker connection(s) up`)
    else this.set(false, 'no broker connection is up')
  }

  onClientError(message: string): void {
    if (ALL_DOWN.test(message)) this.set(false, message)
  }

  onConnected(): void {
    this.set(true, 'connected')
  }

  onConnectFailed(message: string): void {
    this.set(false, `connect failed: ${message}`)
  }

  onDelivered(): void {
    if (!this.reachable) this.set(true, 'a delivery was acknowledged')
  }

  report(): ReachabilityReport {
    return { reachable: this.reachable, sinceMs: this.sinceMs, detail: this.reason }
  }

  private set(reachable: boolean, reason: string): void {
    this.reason = reason
    if (reachable === this.reachable) return
    this.reachable = reachable
    this.sinceMs = this.clock()
    this.onChange?.(reachable, reason)
  }
}
