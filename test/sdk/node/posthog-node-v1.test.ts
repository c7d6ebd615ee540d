/**
 * posthog-node in Capture V1 mode (POSTHOG_CAPTURE_MODE=v1), unmodified, in
 * this process, through the wire proxy to capture's /i/v1/analytics/events.
 * Capture runs with a fault-injecting sink (test/helpers/fault-sink.ts) so a
 * real partial failure makes capture itself answer `retry` for some uuids.
 *
 * Checked: every scenario lands each uuid exactly once over V1; a `retry`
 * result makes the SDK resend only those events, which land once; 503 and
 * 408 are retried; a reply lost after capture stored the request is resent
 * and capture's exactly-once keeps one copy; 400, 413 and 402 are final.
 */
import assert from 'node:assert/strict'
import { after, describe } from 'node:test'
import { PostHog } from 'posthog-node'
import { arrivalsFor } from '../harness/arrivals.js'
import { startCaptureTarget, type CaptureTarget } from '../harness/capture-target.js'
import { assertArrivals, type ScenarioContext } from '../harness/expect-events.js'
import { buildPlan, SERVER_SDK_SCENARIOS, type Operation, type ScenarioPlan } from '../harness/plan.js'
import { createResultLog, type SdkUnderTest } from '../harness/results.js'
import { newEventUuid, newRunId } from '../harness/run-id.js'
import { npmPackageVersion } from '../harness/runtimes.js'
import { sharedSetup } from '../harness/shared-setup.js'
import { checkWire, describeWire } from '../harness/wire-facts.js'
import { startWireProxy, type WireProxy } from '../harness/wire-proxy.js'
import { faultSink, noFaults, type Faults } from '../../helpers/fault-sink.js'
import { expectedEvents, perform } from './node-operations.js'

const SDK = 'posthog-node (Capture V1)'
const LIB = 'posthog-node'
const TOKEN = 'phc_sdk_suite_node_v1_0123456789'
const V1_PATH = /^\/i\/v1\/analytics\/events$/
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: `node ${process.version}`, target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
  readonly faults: Faults
}

const env = sharedSetup<Env>(
  async () => {
    sut.version = await npmPackageVersion('posthog-node')
    const faults = noFaults()
    const target = await startCaptureTarget({ overrides: { wrapSink: (sink) => faultSink(sink, faults, { perMessage: true }) } })
    sut.target = target.kind
    const proxy = await startWireProxy(target.url).catch(async (err: unknown) => {
      await target.close()
      throw err
    })
    return { target, proxy, faults }
  },
  async ({ target, proxy }) => {
    await proxy.close()
    await target.close()
  },
)

/** A fresh client in V1 mode (the SDK reads POSTHOG_CAPTURE_MODE when it is constructed), then shutdown(). */
async function runPlan(plan: ScenarioPlan, host: string, extra: Record<string, unknown> = {}): Promise<unknown[]> {
  const previous = process.env.POSTHOG_CAPTURE_MODE
  process.env.POSTHOG_CAPTURE_MODE = 'v1'
  let client: PostHog
  try {
    client = new PostHog(TOKEN, { host, flushInterval: 0, fetchRetryDelay: 50, disableCompression: !plan.client.gzip, historicalMigration: plan.client.historical_migration, ...extra })
  } finally {
    if (previous === undefined) delete process.env.POSTHOG_CAPTURE_MODE
    else process.env.POSTHOG_CAPTURE_MODE = previous
  }
  const errors: unknown[] = []
  client.on('error', (err: unknown) => errors.push(err))
  for (const operation of plan.operations) perform(client, operation)
  await client.shutdown()
  return errors
}

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: LIB, token: TOKEN, topics: target.topics, startedAtMs }
}

function capturePlan(events: number, gzip = true): ScenarioPlan {
  const runId = newRunId()
  const operations: Operation[] = Array.from({ length: events }, (_, i) => ({ op: 'capture', event: 'v1 event', distinct_id: `${runId}-user-${i}`, uuid: newEventUuid(), properties: { test_run_id: runId, i } }))
  return { name: 'v1', run_id: runId, client: { gzip, historical_migration: false }, operations }
}

/** Runs `plan` with the SDK's console errors silenced (it prints batches it gives up on; expected in the final-status scenarios). */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const consoleError = console.error
  console.error = () => {}
  try {
    return await run()
  } finally {
    console.error = consoleError
  }
}

describe('posthog-node in Capture V1 mode against capture', () => {
  after(() => env.dispose())

  for (const gzip of [true, false]) {
    for (const name of SERVER_SDK_SCENARIOS) {
      const scenario = `V1: ${name} (gzip ${gzip ? 'on' : 'off'})`
      log.scenario(scenario, async () => {
        const { target, proxy } = await env.get()
        const startedAtMs = Date.now()
        const plan = buildPlan(name, newRunId(), { gzip })
        const errors = await runPlan(plan, proxy.url)
        assert.deepEqual(errors, [], `[${SDK} / ${scenario}] the SDK emitted error events`)
        const expected = plan.operations.flatMap((op) => expectedEvents(op, plan.client.historical_migration))
        assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor(scenario, target, startedAtMs))
        const requests = proxy.requestsFor(plan.run_id)
        checkWire(requests, { path: V1_PATH, gzip, historical: plan.client.historical_migration, events: expected.length }, `[${SDK} / ${scenario}]`)
        for (const request of requests) assert.equal(request.headers['posthog-attempt'], '1', `[${SDK} / ${scenario}] nothing was resent`)
        return describeWire(requests)
      })
    }
  }

  log.scenario('V1: capture answers retry for some uuids → the SDK resends only those, and they land once', async () => {
    const { target, proxy, faults } = await env.get()
    const startedAtMs = Date.now()
    const plan = capturePlan(10)
    const failing = plan.operations.slice(0, 3).map((op) => (op as { distinct_id: string }).distinct_id)
    for (const id of failing) faults.failDistinctIds.add(id)
    proxy.setFault((_request, attempt) => {
      if (attempt === 2) faults.failDistinctIds.clear()
      return undefined
    })
    const errors = await runPlan(plan, proxy.url).finally(() => {
      proxy.setFault(undefined)
      faults.failDistinctIds.clear()
    })
    const label = `[${SDK} / retry result]`
    assert.deepEqual(errors, [], `${label} the SDK emitted error events although the resend succeeded`)
    const requests = proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => [r.headers['posthog-attempt'], r.events.length, r.status]), [['1', 10, 200], ['2', 3, 200]], `${label} [attempt, events, status] per request`)
    assert.equal(requests[1]!.headers['posthog-request-id'], requests[0]!.headers['posthog-request-id'], `${label} same request id on the resend`)
    const retried = new Set(requests[1]!.events.map((e) => e.uuid))
    const wanted = new Set(plan.operations.slice(0, 3).map((op) => (op as { uuid: string }).uuid))
    assert.deepEqual(retried, wanted, `${label} exactly the retry uuids are resent`)
    assertArrivals(await arrivalsFor(target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor('retry result', target, startedAtMs))
    return `attempt 1: 10 events → 3 retry (sink failed them); attempt 2: those 3 → ok; each uuid once`
  })

  for (const status of [503, 408]) {
    log.scenario(`V1: ${status}, ${status}, then 200 → retried, each uuid lands exactly once`, async () => {
      const { target, proxy } = await env.get()
      const startedAtMs = Date.now()
      const plan = capturePlan(5)
      proxy.setFault((_request, attempt) => (attempt <= 2 ? status : undefined))
      const errors = await runPlan(plan, proxy.url).finally(() => proxy.setFault(undefined))
      const label = `[${SDK} / retry ${status}]`
      assert.deepEqual(errors, [], `${label} the SDK emitted error events although the third attempt succeeded`)
      const requests = proxy.requestsFor(plan.run_id)
      assert.deepEqual(requests.map((r) => [r.headers['posthog-attempt'], r.status]), [['1', status], ['2', status], ['3', 200]], `${label} attempts seen by the proxy`)
      assertArrivals(await arrivalsFor(target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor(`retry ${status}`, target, startedAtMs))
      return describeWire(requests)
    })
  }

  log.scenario('V1: reply lost after capture stored the request (503) → resent, exactly-once keeps one copy', async () => {
    const { target, proxy } = await env.get()
    const startedAtMs = Date.now()
    const plan = capturePlan(5)
    proxy.setFault((_request, attempt) => (attempt === 1 ? { status: 503, forwardFirst: true } : undefined))
    const errors = await runPlan(plan, proxy.url).finally(() => proxy.setFault(undefined))
    const label = `[${SDK} / lost reply]`
    assert.deepEqual(errors, [], `${label} the SDK emitted error events although the resend succeeded`)
    const requests = proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => [r.upstreamStatus, r.status]), [[200, 503], [200, 200]], `${label} [capture's status, status the SDK got] per attempt`)
    assertArrivals(await arrivalsFor(target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor('lost reply', target, startedAtMs))
    return 'capture stored attempt 1, the SDK got 503 and resent; capture answered ok without writing again'
  })

  for (const status of [400, 413, 402]) {
    log.scenario(`V1: ${status} is final (one attempt, reported, nothing resent)`, async () => {
      const { target, proxy } = await env.get()
      const plan = capturePlan(4, false)
      proxy.setFault(() => status)
      const errors = await quietly(() => runPlan(plan, proxy.url)).finally(() => proxy.setFault(undefined))
      const label = `[${SDK} / ${status}]`
      const requests = proxy.requestsFor(plan.run_id)
      assert.deepEqual(requests.map((r) => r.status), [status], `${label} attempts seen by the proxy (no retry, no batch halving)`)
      assert.equal(errors.length, 1, `${label} the SDK should report the ${status} as one error event`)
      assert.deepEqual(await arrivalsFor(target, plan.run_id), [], `${label} nothing may reach the sink (the proxy answered in capture's place)`)
      return `1 attempt → ${status}, SDK error event, batch dropped`
    })
  }
})
