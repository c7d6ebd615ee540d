/**
 * /metrics across node:cluster workers: the worker that receives the scrape
 * asks the primary, which gathers every worker's registry (prom-client's
 * AggregatorRegistry) and answers with the sum.
 */
import cluster from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'

const REQUEST = 'capture:metrics-request'
const RESPONSE = 'capture:metrics-response'

interface MetricsMessage {
  readonly type: typeof REQUEST | typeof RESPONSE
  readonly id: number
  readonly text?: string
}

const isMetricsMessage = (message: unknown): message is MetricsMessage =>
  typeof message === 'object' && message !== null && ((message as MetricsMessage).type === REQUEST || (message as MetricsMessage).type === RESPONSE)

/** In the primary: answer workers' requests for the aggregated text. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message) || message.type !== REQUEST) return
    aggregator
      .clusterMetrics()
      .then((text) => worker.send({ type: RESPONSE, id: message.id, text }))
      .catch((err: Error) => worker.send({ type: RESPONSE, id: message.id, text: `# metrics aggregation failed: ${err.message}\n` }))
  })
}

/** In a worker: expose its registry to the aggregator and fetch the cluster-wide text. */
export function workerMetricsText(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry])
  // prom-client starts answering the primary's requests only once an AggregatorRegistry exists in this process.
  void new AggregatorRegistry()
  let nextId = 0
  const waiting = new Map<number, (text: string) => void>()
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message) || message.type !== RESPONSE) return
    waiting.get(message.id)?.(message.text ?? '')
    waiting.delete(message.id)
  })
  return () =>
    new Promise((resolve) => {
      const id = nextId++
      const timer = setTimeout(() => {
        waiting.delete(id)
        resolve(`# metrics aggregation timed out\n${''}`)
      }, 5000)
      waiting.set(id, (text) => {
        clearTimeout(timer)
        resolve(text)
      })
      process.send?.({ type: REQUEST, id })
    })
}
