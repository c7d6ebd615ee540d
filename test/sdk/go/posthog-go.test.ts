/**
 * posthog-go, unmodified (pinned in test/sdk/go/go.mod), built into a small
 * driver (main.go) and run as a subprocess against capture through the wire
 * proxy. The driver waits for the SDK's delivery callbacks before Close(),
 * because Close() drops a batch whose retry is still pending.
 *
 * posthog-go 1.5.2 differences the expectations encode: no gzip option; no
 * `sent_at` (so capture takes the client timestamp as is); Identify sends its
 * properties as top-level `$set` and has no set_once; Alias sends no top-level
 * distinct_id (capture reads properties.distinct_id); identify, alias and
 * group identify carry no uuid; group identify's distinct_id is `$<type>_<key>`.
 */
import assert from 'node:assert/strict'
import { after, describe } from 'node:test'
import { arrivalsFor } from '../harness/arrivals.js'
import { startCaptureTarget, type CaptureTarget } from '../harness/capture-target.js'
import { resultFor, runDriver, type DriverOutput } from '../harness/driver-process.js'
import { assertArrivals, type ExpectedEvent, type ScenarioContext } from '../harness/expect-events.js'
import { buildPlan, groupsProperty, SERVER_SDK_SCENARIOS, type Operation, type ScenarioPlan } from '../harness/plan.js'
import { createResultLog, type SdkUnderTest } from '../harness/results.js'
import { newRunId } from '../harness/run-id.js'
import { buildGoDriver, type GoDriver } from '../harness/runtimes.js'
import { sharedSetup } from '../harness/shared-setup.js'
import { checkWire, describeWire } from '../harness/wire-facts.js'
import { startWireProxy, type WireProxy } from '../harness/wire-proxy.js'

const SDK = 'posthog-go'
const TOKEN = 'phc_sdk_suite_go_0123456789'
const sut: SdkUnderTest = { sdk: SDK, version: '?', runtime: '?', target: '?' }
const log = createResultLog(sut)

interface Env {
  readonly target: CaptureTarget
  readonly proxy: WireProxy
  readonly driver: GoDriver
}

const env = sharedSetup<Env>(
  async () => {
    const driver = await buildGoDriver()
    sut.version = driver.posthogVersion
    sut.runtime = driver.goVersion
    const target = await startCaptureTarget()
    sut.target = target.kind
    const proxy = await startWireProxy(target.url).catch(async (err: unknown) => {
      await target.close()
      throw err
    })
    return { target, proxy, driver }
  },
  async ({ target, proxy }) => {
    await proxy.close()
    await target.close()
  },
)

type PlanWithExtra = ScenarioPlan & { readonly client_extra?: { readonly retry_after_ms?: number } }

function drive(e: Env, plans: readonly PlanWithExtra[]): Promise<DriverOutput> {
  return runDriver(SDK, e.driver.binary, [], { host: e.proxy.url, token: TOKEN, scenarios: plans }, { timeoutMs: 120_000 })
}

const ordinaryRun = sharedSetup(
  async () => {
    const e = await env.get()
    const plans = SERVER_SDK_SCENARIOS.map((name) => buildPlan(name, newRunId(), { gzip: false }))
    const startedAtMs = Date.now()
    return { plans, output: await drive(e, plans), startedAtMs }
  },
  async () => {},
)

function expectedEvents(op: Operation, historical: boolean): ExpectedEvent[] {
  switch (op.op) {
    case 'capture':
      return [{ event: op.event, distinctId: op.distinct_id, uuid: op.uuid, timestamp: op.timestamp, historical, properties: { ...op.properties, ...groupsProperty(op) } }]
    case 'identify':
      return [{ event: '$identify', distinctId: op.distinct_id, historical, set: { placement: 'top', value: op.set } }]
    case 'alias':
      return [{ event: '$create_alias', distinctId: op.distinct_id, historical, properties: { distinct_id: op.distinct_id, alias: op.alias } }]
    case 'group_identify':
      return [{ event: '$groupidentify', distinctId: `$${op.group_type}_${op.group_key}`, historical, properties: { $group_type: op.group_type, $group_key: op.group_key, $group_set: op.properties } }]
  }
}

function contextFor(scenario: string, target: CaptureTarget, startedAtMs: number): ScenarioContext {
  return { sdk: SDK, version: sut.version, scenario, lib: 'posthog-go', token: TOKEN, topics: target.topics, startedAtMs }
}

describe('posthog-go against capture', () => {
  after(() => env.dispose())

  for (const name of SERVER_SDK_SCENARIOS) {
    const scenario = `${name} (no gzip option)`
    log.scenario(scenario, async () => {
      const { target, proxy } = await env.get()
      const { plans, output, startedAtMs } = await ordinaryRun.get()
      const plan = plans.find((p) => p.name === name)!
      const label = `[${SDK} / ${scenario}]`
      assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported delivery failures`)
      const expected = plan.operations.flatMap((op) => expectedEvents(op, plan.client.historical_migration))
      assertArrivals(await arrivalsFor(target, plan.run_id), expected, contextFor(scenario, target, startedAtMs))
      const requests = proxy.requestsFor(plan.run_id)
      checkWire(requests, { path: /^\/batch\/$/, gzip: false, historical: plan.client.historical_migration, events: expected.length }, label)
      return describeWire(requests)
    }, { timeout: 300_000 })
  }

  log.scenario('retry: 503 then 200 → each uuid lands exactly once', async () => {
    const e = await env.get()
    const startedAtMs = Date.now()
    const plan = buildPlan('capture', newRunId(), { gzip: false })
    e.proxy.setFault((_request, attempt) => (attempt <= 2 ? 503 : undefined))
    const output = await drive(e, [plan]).finally(() => e.proxy.setFault(undefined))
    const label = `[${SDK} / retry 503]`
    assert.deepEqual(resultFor(output, plan.run_id, label).errors, [], `${label} the SDK reported failures although the retry succeeded`)
    const requests = e.proxy.requestsFor(plan.run_id)
    assert.deepEqual(requests.map((r) => r.status), [503, 503, 200], `${label} attempts seen by the proxy`)
    for (const retry of requests.slice(1)) assert.deepEqual(retry.body, requests[0]!.body, `${label} a retry must resend the same body`)
    assertArrivals(await arrivalsFor(e.target, plan.run_id), plan.operations.flatMap((op) => expectedEvents(op, false)), contextFor('retry 503', e.target, startedAtMs))
    return describeWire(requests)
  }, { timeout: 60_000 })

  log.scenario('retry: 400 is retried by this SDK version (10 attempts, then dropped)', async () => {
    const e = await env.get()
    const plan = buildPlan('alias', newRunId(), { gzip: false })
    e.proxy.setFault(() => 400)
    const output = await drive(e, [{ ...plan, client_extra: { retry_after_ms: 5 } }]).finally(() => e.proxy.setFault(undefined))
    const label = `[${SDK} / retry 400]`
    const requests = e.proxy.requestsFor(plan.run_id)
    assert.equal(requests.length, 10, `${label} posthog-go 1.5.2 resends any non-2xx up to 10 times; attempts seen by the proxy`)
    assert.ok(requests.every((r) => r.status === 400), `${label} every attempt got the injected 400`)
    assert.equal(resultFor(output, plan.run_id, label).errors.length, 1, `${label} the SDK should report one failed message`)
    assert.deepEqual(await arrivalsFor(e.target, plan.run_id), [], `${label} nothing may reach the sink`)
    return '10 attempts → 400 each (SDK retries every non-2xx), then dropped'
  }, { timeout: 60_000 })
})
