/**
 * posthog-python in Capture V1 mode (`capture_mode="v1"`), unmodified, run by
 * driver.py in the venv scripts/sdk-setup.sh creates, through the wire proxy
 * to capture's /i/v1/analytics/events. Capture runs with a fault-injecting
 * sink so a real partial failure makes capture answer `retry` for some uuids.
 *
 * Checked: every scenario lands each uuid exactly once over V1 with each
 * compression the SDK offers (none, gzip, deflate, zstd); a `retry` result
 * makes the SDK resend only those events, which land once; 503 and 408 are
 * retried; 400, 413 and 402 are final and reported through on_error.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, describe } from 'node:test'
import { arrivalsFor } from '../harness/arrivals.js'
import { startCaptureTarget, type CaptureTarget } from '../harness/capture-target.js'
import { resultFor, runDriver, type DriverOutput } from '../harness/driver-process.js'
import { assertArrivals, type ExpectedEvent, type ScenarioContext } from '../harness/expect-events.js'
import { buildPlan, SERVER_SDK_SCENARIOS, type Operation, type ScenarioPlan } from '../harness/plan.js'
import { createResultLog, type SdkUnderTest } from '../harness/results.js'
import { newEventUuid, newRunId } from '../harness/run-id.js'
import { findPython, SDK_DIR, type PythonRuntime } from '../harness/runtimes.js'
import { sharedSetup } from '../harness/shared-setup.js'
import { checkWire, describeWire } from '../harness/wire-facts.js'
import { startWireProxy, type WireProxy } from '../harness/wire-proxy.js'
import { pythonExpectedEvents } from './expected-events.js'
import { faultSink, noFaults, type Faults } from '../../helpers/fault-sink.js'

const SDK = 'posthog-python (Capture V1)'
const TOKEN = 'phc_sdk_suite_python_v1_0123456789'
const DRIVER = path.join(SDK_DIR, 'python', 'driver.py')
const V1_PATH = /^\/i\/v1\/analytics\/events$/
const COMPRESSIONS = ['none', 'gzip', 'deflate', 'zstd'] as const
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: '?', target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
  readonly python: PythonRuntime
  readonly faults: Faults
}

const env = sharedSetup<Env>(
  async () => {
    const python = await findPython()
    sut.version = python.posthogVersion
    sut.runtime = `python ${python.pythonVersion}`
    const faults = noFaults()
    const target = await startCaptureTarget({ overrides: { wrapSink: (sink) => faultSink(sink, faults, { perMessage: true }) } })
    sut.target = target.kind
    const proxy = await startWireProxy(target.url).catch(async (err: unknown) => {
      await target.close()
      throw err
    })
    return { target, proxy, python, faults }
  },
  async ({ target, proxy }) => {
    await proxy.close()
    await target.close()
  },
)

type PlanWithExtra = ScenarioPlan & { readonly client_extra?: Record<string, unknown> }

function drive(e: Env, plans: readonly PlanWithExtra[]): Promise<DriverOutput> {
  const v1Plans = plans.map((plan) => ({ ...plan, client_extra: { capture_mode: 'v1', ...plan.client_extra } }))
  return runDriver(SDK, e.python.python, [DRIVER], { host: e.proxy.url, token: TOKEN, scenarios: v1Plans }, { timeoutMs: 120_000 })
}

const scenarios = COMPRESSIONS.flatMap((compression) => SERVER_SDK_SCENARIOS.map((name) => ({ compression, name, label: `V1: ${name} (${compression})` })))

/** All ordinary scenarios in one driver process (one fresh client each). */
const ordinaryRun = sharedSetup(
  async () => {
    const e = await env.get()
    const plans = scenarios.map((s) => ({ ...buildPlan(s.name, newRunId(), { gzip: s.compression === 'gzip' }), name: s.label, client_extra: { capture_compression: s.compression } }))
    const startedAtMs = Date.now()
    const output = await drive(e, plans)
    return { plans, output, startedAtMs }
  },
  async () => {},
)

const expectedEvents = (op: Operation, historical: boolean): ExpectedEvent[] => pythonExpectedEvents(op, historical, 'properties')

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: 'posthog-python', token: TOKEN, topics: target.topics, startedAtMs }
}

function capturePlan(events: number): ScenarioPlan {
  const runId = newRunId()
  const operations: Operation[] = Array.from({ length: events }, (_, i) => ({ op: 'capture', event: 'v1 event', distinct_id: `${runId}-user-${i}`, uuid: newEventUuid(), properties: { test_run_id: runId, i } }))
  return { name: 'v1', run_id: runId, client: { gzip: false, historical_migration: false }, operations }
}

describe('posthog-python in Capture V1 mode against capture', () => {
  after(() => env.dispose())

  for (const s of scenarios) {
    log.scenario(s.label, async () => {
      const { target, proxy } = await env.get()
      const { plans, output, startedAtMs } = await ordinaryRun.get()
      const plan = plans.find((p) => p.name === s.label)!
      const label = `[${SDK} / ${s.label}]`
      assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported errors`)
      const expected = plan.operations.flatMap((op) => expectedEvents(op, plan.client.historical_migration))
      assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor(s.label, target, startedAtMs))
      const requests = proxy.requestsFor(plan.run_id)
      checkWire(requests, { path: V1_PATH, gzip: s.compression === 'gzip', historical: plan.client.historical_migration, events: expected.length }, label)
      for (const request of requests) assert.equal(request.headers['content-encoding'], s.compression === 'none' ? undefined : s.compression, `${label} Content-Encoding`)
      return describeWire(requests)
    }, { timeout: 150_000 })
  }

  log.scenario('V1: capture answers retry for some uuids → the SDK resends only those, and they land once', async () => {
    const e = await env.get()
    const startedAtMs = Date.now()
    const plan = capturePlan(10)
    const failing = plan.operations.slice(0, 3)
    for (const op of failing) e.faults.failDistinctIds.add((op as { distinct_id: string }).distinct_id)
    e.proxy.setFault((_request, attempt) => {
      if (attempt === 2) e.faults.failDistinctIds.clear()
      return undefined
    })
    const output = await drive(e, [plan]).finally(() => {
      e.proxy.setFault(undefined)
      e.faults.failDistinctIds.clear()
    })
    const label = `[${SDK} / retry result]`
    assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported errors although the resend succeeded`)
    const requests = e.proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => [r.headers['posthog-attempt'], r.events.length, r.status]), [['1', 10, 200], ['2', 3, 200]], `${label} [attempt, events, status] per request`)
    assert.equal(requests[1]!.headers['posthog-request-id'], requests[0]!.headers['posthog-request-id'], `${label} same request id on the resend`)
    assert.deepEqual(new Set(requests[1]!.events.map((ev) => ev.uuid)), new Set(failing.map((op) => (op as { uuid: string }).uuid)), `${label} exactly the retry uuids are resent`)
    assertArrivals(await arrivalsFor(e.target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor('retry result', e.target, startedAtMs))
    return 'attempt 1: 10 events → 3 retry (sink failed them); attempt 2: those 3 → ok; each uuid once'
  }, { timeout: 60_000 })

  for (const status of [503, 408]) {
    log.scenario(`V1: ${status} then 200 → retried, each uuid lands exactly once`, async () => {
      const e = await env.get()
      const startedAtMs = Date.now()
      const plan = capturePlan(5)
      e.proxy.setFault((_request, attempt) => (attempt <= 1 ? status : undefined))
      const output = await drive(e, [plan]).finally(() => e.proxy.setFault(undefined))
      const label = `[${SDK} / retry ${status}]`
      assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported errors although the retry succeeded`)
      const requests = e.proxy.requestsFor(plan.run_id)
      assert.deepEqual(requests.map((r) => [r.headers['posthog-attempt'], r.status]), [['1', status], ['2', 200]], `${label} attempts seen by the proxy`)
      assertArrivals(await arrivalsFor(e.target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor(`retry ${status}`, e.target, startedAtMs))
      return describeWire(requests)
    }, { timeout: 60_000 })
  }

  for (const status of [400, 413, 402]) {
    log.scenario(`V1: ${status} is final (one attempt, on_error, nothing resent)`, async () => {
      const e = await env.get()
      const plan = capturePlan(4)
      e.proxy.setFault(() => status)
      const output = await drive(e, [plan]).finally(() => e.proxy.setFault(undefined))
      const label = `[${SDK} / ${status}]`
      const requests = e.proxy.requestsFor(plan.run_id)
      assert.deepEqual(requests.map((r) => r.status), [status], `${label} attempts seen by the proxy (no retry)`)
      assert.equal(resultFor(output, plan.run_id, label).errors.length, 1, `${label} the SDK should report the ${status} once through on_error`)
      assert.deepEqual(await arrivalsFor(e.target, plan.run_id), [], `${label} nothing may reach the sink`)
      return `1 attempt → ${status}, on_error called, batch dropped`
    }, { timeout: 60_000 })
  }
})
