/**
 * The official posthog-node SDK against the real server, with and without
 * request compression: capture (explicit uuid), identify, alias and
 * groupIdentify all land in the log with the event name, distinct_id and
 * token the SDK meant.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { PostHog } from 'posthog-node'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const TOKEN = 'phc_posthog_node_sdk_test'

for (const disableCompression of [true, false]) {
  describe(`posthog-node with disableCompression: ${disableCompression}`, () => {
    let t: TestApp
    const seen: { path: string; encoding: string | undefined; status?: number }[] = []
    before(async () => {
      t = await startTestApp()
      t.app.server.on('request', (req: IncomingMessage) => seen.push({ path: req.url ?? '', encoding: req.headers['content-encoding'] }))
    })
    after(() => t.close())

    it('delivers capture, identify, alias and groupIdentify with the right fields', async () => {
      const run = randomUUID().slice(0, 8)
      const user = `user-${run}`
      const uuid = randomUUID()
      const client = new PostHog(TOKEN, { host: t.url, flushAt: 1, flushInterval: 0, disableCompression, fetchRetryCount: 0 })
      client.capture({ distinctId: user, event: 'sdk_capture', uuid, properties: { plan: 'pro', n: 1 } })
      client.identify({ distinctId: user, properties: { email: `${run}@example.com` } })
      client.alias({ distinctId: user, alias: `alias-${run}` })
      client.groupIdentify({ groupType: 'company', groupKey: `acme-${run}`, properties: { seats: 10 } })
      await client.shutdown()

      const envelopes = await t.envelopes()
      for (const envelope of envelopes) assert.equal(envelope.token, TOKEN)
      const byEvent = (name: string): Record<string, unknown> => {
        const found = envelopes.filter((envelope) => envelope.event === name)
        assert.equal(found.length, 1, `${name}: ${found.length} in the log`)
        return found[0]!
      }

      const captured = byEvent('sdk_capture')
      assert.equal(captured.uuid, uuid)
      assert.equal(captured.distinct_id, user)
      const data = JSON.parse(captured.data as string) as { properties: Record<string, unknown>; uuid: string }
      assert.equal(data.uuid, uuid)
      assert.equal(data.properties.plan, 'pro')
      assert.equal(data.properties.n, 1)
      assert.equal(typeof data.properties.$lib, 'string')

      const identify = byEvent('$identify')
      assert.equal(identify.distinct_id, user)
      const identifyData = JSON.parse(identify.data as string) as { $set?: Record<string, unknown>; properties: Record<string, unknown> }
      const set = identifyData.$set ?? (identifyData.properties.$set as Record<string, unknown>)
      assert.equal(set.email, `${run}@example.com`)

      const alias = byEvent('$create_alias')
      assert.equal(alias.distinct_id, user)
      assert.equal((JSON.parse(alias.data as string) as { properties: Record<string, unknown> }).properties.alias, `alias-${run}`)

      const group = byEvent('$groupidentify')
      const groupProps = (JSON.parse(group.data as string) as { properties: Record<string, unknown> }).properties
      assert.equal(groupProps.$group_type, 'company')
      assert.equal(groupProps.$group_key, `acme-${run}`)
      assert.deepEqual(groupProps.$group_set, { seats: 10 })

      // Each event has a distinct, valid uuid.
      assert.equal(new Set(envelopes.map((envelope) => envelope.uuid)).size, envelopes.length)
      // The SDK really used (or really did not use) gzip.
      const captures = seen.filter((request) => request.path.startsWith('/batch'))
      assert.ok(captures.length > 0, `no /batch request seen: ${JSON.stringify(seen)}`)
      for (const request of captures) assert.equal(request.encoding, disableCompression ? undefined : 'gzip')
    })
  })
}
