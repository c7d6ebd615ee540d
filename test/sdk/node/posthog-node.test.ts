/**
 * posthog-node, unmodified, in this process, pointed at capture through the
 * wire proxy. Every scenario runs with gzip on (the SDK's default on Node 20)
 * and off, then the retry behaviour is driven through proxy faults.
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
import { expectedEvents, perform } from './node-operations.js'

const SDK = 'posthog-node'
const LIB = 'posthog-node'
const TOKEN = 'phc_sdk_suite_node_0123456789'
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: `node ${process.version}`, target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
}

const env = sharedSetup<Env>(
  async () => {
    sut.version = await npmPackageVersion('posthog-node')
    const target = await startCaptureTarget()
    sut.target = target.kind
    const proxy = await startWireProxy(target.url).catch(async (err: unknown) => {
      await target.close()
      throw err
    })
    return { target, proxy }
  },
  async ({ target, proxy }) => {
    await proxy.close()
    await target.close()
  },
)

interface NodeRun {
  readonly errors: unknown[]
}

/** Runs a plan with a fresh client, then shutdown() (which flushes and waits for every request). */
async function runPlan(plan: ScenarioPlan, host: string, extra: Record<string, unknown> = {}): Promise<NodeRun> {
  const client = new PostHog(TOKEN, {
    host,
    flushInterval: 0,
    fetchRetryDelay: 50,
    disableCompression: !plan.client.gzip,
    historicalMigration: plan.client.historical_migration,
    ...extra,
  })
  const errors: unknown[] = []
  client.on('error', (err: unknown) => errors.push(err))
  for (const operation of plan.operations) perform(client, operation)
  await client.shutdown()
  return { errors }
}

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: LIB, token: TOKEN, topics: target.topics, startedAtMs }
}

describe('posthog-node against capture', () => {
  after(() => env.dispose())

  for (const gzip of [true, false]) {
    for (const name of SERVER_SDK_SCENARIOS) {
      const scenario = `${name} (gzip ${gzip ? 'on' : 'off'})`
      log.scenario(scenario, async () => {
        const { target, proxy } = await env.get()
        const startedAtMs = Date.now()
        const plan = buildPlan(name, newRunId(), { gzip })
        const { errors } = await runPlan(plan, proxy.url)
        assert.deepEqual(errors, [], `[${SDK} / ${scenario}] the SDK emitted error events`)
        const expected = plan.operations.flatMap((op) => expectedEvents(op, plan.client.historical_migration))
        assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor(scenario, target, startedAtMs))
        const requests = proxy.requestsFor(plan.run_id)
        checkWire(requests, { path: /^\/batch\/$/, gzip, historical: plan.client.historical_migration, events: expected.length }, `[${SDK} / ${scenario}]`)
        return describeWire(requests)
      })
    }
  }

  log.scenario('retry: 503, 503, then 200 → each uuid lands exactly once', async () => {
    const { target, proxy } = await env.get()
    const startedAtMs = Date.now()
    const plan = buildPlan('capture', newRunId(), { gzip: true })
    proxy.setFault((_request, attempt) => (attempt <= 2 ? 503 : undefined))
    const { errors } = await runPlan(plan, proxy.url).finally(() => proxy.setFault(undefined))
    const label = `[${SDK} / retry 503]`
    assert.deepEqual(errors, [], `${label} the SDK emitted error events although the third attempt succeeded`)
    const requests = proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => r.status), [503, 503, 200], `${label} attempts seen by the proxy`)
    const uuidsPerAttempt = requests.map((r) => r.events.map((e) => e.uuid))
    assert.deepEqual(uuidsPerAttempt[1], uuidsPerAttempt[0], `${label} the retry must resend the same uuids`)
    assert.deepEqual(uuidsPerAttempt[2], uuidsPerAttempt[0], `${label} the retry must resend the same uuids`)
    const expected = plan.operations.flatMap((op) => expectedEvents(op, false))
    assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor('retry 503', target, startedAtMs))
    return describeWire(requests)
  })

  log.scenario('retry after capture stored the attempt (reply lost, 503) → de-duplication keeps one copy', async () => {
    const { target, proxy } = await env.get()
    const startedAtMs = Date.now()
    const runId = newRunId()
    // identify: no client uuid (dedup keys on the client timestamp); capture: client uuids.
    const identify = buildPlan('identify', runId, { gzip: true })
    const plan: ScenarioPlan = { ...identify, operations: [...identify.operations, ...buildPlan('capture', runId, { gzip: true }).operations] }
    proxy.setFault((_request, attempt) => (attempt === 1 ? { status: 503, forwardFirst: true } : undefined))
    const { errors } = await runPlan(plan, proxy.url).finally(() => proxy.setFault(undefined))
    const label = `[${SDK} / retry after a lost reply]`
    assert.deepEqual(errors, [], `${label} the SDK emitted error events although the retry succeeded`)
    const requests = proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => [r.upstreamStatus, r.status]), [[200, 503], [200, 200]], `${label} [capture's status, status the SDK got] per attempt`)
    const expected = plan.operations.flatMap((op) => expectedEvents(op, false))
    assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor('retry after a lost reply', target, startedAtMs))
    return 'capture stored attempt 1, SDK got 503 and resent; 1 copy of each event kept'
  })

  log.scenario('retry: 413 → the SDK halves the batch and every event lands', async () => {
    const { target, proxy } = await env.get()
    const startedAtMs = Date.now()
    const runId = newRunId()
    const user = `${runId}-user`
    const operations: Operation[] = Array.from({ length: 40 }, (_, i) => ({ op: 'capture', event: 'split event', distinct_id: user, uuid: newEventUuid(), properties: { test_run_id: runId, i } }))
    const plan: ScenarioPlan = { name: '413', run_id: runId, client: { gzip: false, historical_migration: false }, operations }
    proxy.setFault((request) => (request.events.length > 10 ? 413 : undefined))
    const { errors } = await runPlan(plan, proxy.url, { flushAt: 100 }).finally(() => proxy.setFault(undefined))
    const label = `[${SDK} / retry 413]`
    assert.deepEqual(errors, [], `${label} the SDK emitted error events`)
    const requests = proxy.requestsFor(runId)
    const sizes = requests.map((r) => `${r.events.length}:${r.status}`)
    assert.deepEqual(sizes, ['40:413', '20:413', '10:200', '10:200', '10:200', '10:200'], `${label} batch sizes and statuses seen by the proxy`)
    assertArrivals(await arrivalsFor(target, runId), operations.flatMap((op) => expectedEvents(op, false)), contextFor('retry 413', target, startedAtMs))
    return `batches ${sizes.join(', ')}`
  })

  log.scenario('retry: 400 is not retried', async () => {
    const { target, proxy } = await env.get()
    const plan = buildPlan('capture', newRunId(), { gzip: false })
    proxy.setFault(() => 400)
    const printed: unknown[] = []
    const consoleError = console.error
    console.error = (...args: unknown[]) => printed.push(args) // shutdown() prints the dropped batch; expected here
    const { errors } = await runPlan(plan, proxy.url).finally(() => {
      proxy.setFault(undefined)
      console.error = consoleError
    })
    const label = `[${SDK} / retry 400]`
    const requests = proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => r.status), [400], `${label} attempts seen by the proxy (a 400 must not be retried)`)
    assert.equal(errors.length, 1, `${label} the SDK should report the 400 as one error event`)
    assert.deepEqual(await arrivalsFor(target, plan.run_id), [], `${label} nothing may reach the sink (the proxy answered in capture's place)`)
    return `1 attempt → 400, SDK error event, batch dropped`
  })
})
