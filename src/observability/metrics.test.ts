import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { AggregatorRegistry } from 'prom-client'
import type { MetricSpec } from './metric-builder.js'
import { createMetrics, type Metrics } from './metrics.js'

// Compile-time checks: npm test's typecheck fails if a label typo is ever accepted.
const labelTypos = (metrics: Metrics): void => {
  // @ts-expect-error 'anything' is not a DropCause
  metrics.eventsDropped.inc({ cause: 'anything' })
  // @ts-expect-error capture_store_connected needs its store label
  metrics.storeConnected.set(1)
  // @ts-expect-error no such label
  metrics.rateLimitedRequests.inc({ limiter: 'token' })
}
void labelTypos

/** Rows of the metric tables in docs/operations.md: | `name` | type | labels | across workers | meaning | */
function documentedMetrics(): Map<string, Omit<MetricSpec, 'name'>> {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
  const rows = new Map<string, Omit<MetricSpec, 'name'>>()
  let mode: MetricSpec['mode'] = 'all'
  for (const line of doc.split('\n')) {
    if (line.startsWith('#')) mode = /kafka mode/i.test(line) ? 'kafka' : 'all'
    const row = /^\| `(capture_[a-z0-9_]+)` \| (counter|gauge|histogram) \|([^|]*)\| (sum|min|max) \|/.exec(line)
    if (row === null) continue
    const labels = [...row[3]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!)
    rows.set(row[1]!, { type: row[2] as MetricSpec['type'], labels, aggregation: row[4] as MetricSpec['aggregation'], mode })
  }
  return rows
}

const exported = async (sink: 'local' | 'kafka'): Promise<string[]> =>
  (await createMetrics({ defaultMetrics: false, sink }).registry.getMetricsAsJSON()).map((metric) => metric.name).sort()

describe('metrics', () => {
  const documented = documentedMetrics()

  it('documents every metric in docs/operations.md with its type, labels, aggregation and mode', () => {
    for (const { name, ...spec } of createMetrics({ defaultMetrics: false }).specs) {
      assert.deepEqual(documented.get(name), spec, `docs/operations.md row for ${name}`)
    }
  })

  it('documents no metric that the registry lacks', () => {
    const names = new Set(createMetrics({ defaultMetrics: false }).specs.map((spec) => spec.name))
    for (const name of documented.keys()) assert.ok(names.has(name), `docs/operations.md lists unknown metric ${name}`)
  })

  it('records one spec per registered metric', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).sort()
    assert.deepEqual(metrics.specs.map((spec) => spec.name).sort(), registered)
  })

  it('exports no Kafka or spool metric in local mode, and all of them in Kafka mode', async () => {
    const kafkaOnly = /^capture_(kafka|spool)_/
    assert.deepEqual((await exported('local')).filter((name) => kafkaOnly.test(name)), [])
    const kafka = await exported('kafka')
    assert.deepEqual(kafka.filter((name) => kafkaOnly.test(name)), [
      'capture_kafka_delivery_errors_total', 'capture_kafka_reachable', 'capture_spool_bytes',
      'capture_spool_drained_total', 'capture_spool_oldest_age_seconds', 'capture_spool_written_total',
    ])
  })

  it('merges two workers with each gauge’s own aggregation: a 0/1 flag stays 0/1, counts add up', async () => {
    const workers = [createMetrics({ defaultMetrics: false, sink: 'local' }), createMetrics({ defaultMetrics: false, sink: 'local' })]
    for (const worker of workers) {
      worker.storeConnected.set({ store: 'redis' }, 1)
      worker.inflightRequests.set(3)
      worker.quotaLimitedTokens.set({ resource: 'events' }, 5)
    }
    const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((worker) => worker.registry.getMetricsAsJSON())))
    const value = async (name: string): Promise<number | undefined> => (await merged.getSingleMetric(name)?.get())?.values[0]?.value
    assert.equal(await value('capture_store_connected'), 1)
    assert.equal(await value('capture_quota_limited_tokens'), 5)
    assert.equal(await value('capture_http_inflight_requests'), 6)
  })

  it('shows a store as disconnected when one worker has lost it', async () => {
    const workers = [createMetrics({ defaultMetrics: false }), createMetrics({ defaultMetrics: false })]
    workers[0]!.storeConnected.set({ store: 'redis' }, 1)
    workers[1]!.storeConnected.set({ store: 'redis' }, 0)
    const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((worker) => worker.registry.getMetricsAsJSON())))
    assert.equal((await merged.getSingleMetric('capture_store_connected')?.get())?.values[0]?.value, 0)
  })
})
