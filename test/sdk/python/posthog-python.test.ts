/**
 * posthog-python, unmodified, in the venv scripts/sdk-setup.sh creates, run as
 * a subprocess (driver.py) against capture through the wire proxy. The
 * ordinary scenarios run in one driver process (one fresh client each); the
 * retry scenarios each get their own, with a proxy fault set.
 *
 * posthog-python differences the expectations encode: no identify() (person
 * properties are `$set`/`$set_once` events with the dict at the event's top
 * level); alias(previous_id, distinct_id) puts previous_id in the event's
 * distinct_id; gzip is off by default.
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
import { newRunId } from '../harness/run-id.js'
import { findPython, SDK_DIR, type PythonRuntime } from '../harness/runtimes.js'
import { sharedSetup } from '../harness/shared-setup.js'
import { checkWire, describeWire } from '../harness/wire-facts.js'
import { startWireProxy, type WireProxy } from '../harness/wire-proxy.js'
import { pythonExpectedEvents } from './expected-events.js'

const SDK = 'posthog-python'
const TOKEN = 'phc_sdk_suite_python_0123456789'
const DRIVER = path.join(SDK_DIR, 'python', 'driver.py')
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: '?', target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
  readonly python: PythonRuntime
}

const env = sharedSetup<Env>(
  async () => {
    const python = await findPython()
    sut.version = python.posthogVersion
    sut.runtime = `python ${python.pythonVersion}`
    const target = await startCaptureTarget()
    sut.target = target.kind
    const proxy = await startWireProxy(target.url).catch(async (err: unknown) => {
      await target.close()
      throw err
    })
    return { target, proxy, python }
  },
  async ({ target, proxy }) => {
    await proxy.close()
    await target.close()
  },
)

type PlanWithExtra = ScenarioPlan & { readonly client_extra?: Record<string, unknown> }

function drive(e: Env, plans: readonly PlanWithExtra[]): Promise<DriverOutput> {
  return runDriver(SDK, e.python.python, [DRIVER], { host: e.proxy.url, token: TOKEN, scenarios: plans }, { timeoutMs: 120_000 })
}

const scenarios = [true, false].flatMap((gzip) => SERVER_SDK_SCENARIOS.map((name) => ({ gzip, name, label: `${name} (gzip ${gzip ? 'on' : 'off'})` })))

/** All ordinary scenarios in one driver process: python starts in ~0.3 s, fourteen times would add up. */
const ordinaryRun = sharedSetup(
  async () => {
    const e = await env.get()
    const plans = scenarios.map((s) => ({ ...buildPlan(s.name, newRunId(), { gzip: s.gzip }), name: s.label }))
    const startedAtMs = Date.now()
    const output = await drive(e, plans)
    return { plans, output, startedAtMs }
  },
  async () => {},
)

const expectedEvents = (op: Operation, historical: boolean): ExpectedEvent[] => pythonExpectedEvents(op, historical, 'top')

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: 'posthog-python', token: TOKEN, topics: target.topics, startedAtMs }
}

describe('posthog-python against capture', () => {
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
      checkWire(requests, { path: /^\/batch\/$/, gzip: s.gzip, historical: plan.client.historical_migration, events: expected.length }, label)
      return describeWire(requests)
    }, { timeout: 150_000 })
  }

  log.scenario('retry: 503 then 200 → each uuid lands exactly once', async () => {
    const e = await env.get()
    const startedAtMs = Date.now()
    const plan = buildPlan('capture', newRunId(), { gzip: false })
    e.proxy.setFault((_request, attempt) => (attempt <= 1 ? 503 : undefined))
    const output = await drive(e, [{ ...plan, client_extra: { max_retries: 3 } }]).finally(() => e.proxy.setFault(undefined))
    const label = `[${SDK} / retry 503]`
    assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported errors although the retry succeeded`)
    const requests = e.proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => r.status), [503, 200], `${label} attempts seen by the proxy`)
    assert.deepEqual(requests[1]?.events.map((ev) => ev.uuid), requests[0]?.events.map((ev) => ev.uuid), `${label} the retry must resend the same uuids`)
    assertArrivals(await arrivalsFor(e.target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor('retry 503', e.target, startedAtMs))
    return describeWire(requests)
  }, { timeout: 60_000 })

  log.scenario('retry: 400 is not retried', async () => {
    const e = await env.get()
    const plan = buildPlan('capture', newRunId(), { gzip: false })
    e.proxy.setFault(() => 400)
    const output = await drive(e, [{ ...plan, client_extra: { max_retries: 3 } }]).finally(() => e.proxy.setFault(undefined))
    const label = `[${SDK} / retry 400]`
    const requests = e.proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => r.status), [400], `${label} attempts seen by the proxy (a 400 must not be retried)`)
    assert.equal(resultFor(output, plan.run_id, label).errors.length, 1, `${label} the SDK should report the 400 once through on_error`)
    assert.deepEqual(await arrivalsFor(e.target, plan.run_id), [], `${label} nothing may reach the sink`)
    return '1 attempt → 400, on_error called, batch dropped'
  }, { timeout: 60_000 })
})
