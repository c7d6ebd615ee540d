/**
 * The client ip in the envelope, over real sockets: by default a client's own
 * X-Forwarded-For / X-Real-IP is ignored (capture exposed directly must not let
 * clients choose their ip); with TRUST_PROXY_HEADERS listing the proxy, the
 * last hop before that proxy counts; with `true`, the first hop (upstream).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { anEvent, postJson } from '../helpers/http-client.js'

async function ipSeen(t: TestApp, headers: Record<string, string>): Promise<unknown> {
  const event = anEvent()
  const reply = await postJson(t.url, '/e/', event, headers)
  assert.equal(reply.status, 200, reply.text)
  const envelope = (await t.envelopes()).find((e) => e.uuid === event.uuid)
  return envelope?.ip
}

const SPOOFED = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9', 'x-real-ip': '7.7.7.7' }

describe('client ip', () => {
  const apps: Record<string, TestApp> = {}
  before(async () => {
    apps.default = await startTestApp()
    apps.listed = await startTestApp({ env: { TRUST_PROXY_HEADERS: '10.0.0.0/8, 127.0.0.1' } })
    apps.otherProxy = await startTestApp({ env: { TRUST_PROXY_HEADERS: '10.0.0.0/8' } })
    apps.any = await startTestApp({ env: { TRUST_PROXY_HEADERS: 'true' } })
  })
  after(async () => {
    for (const app of Object.values(apps)) await app.close()
  })

  it('ignores proxy headers by default: the ip is the socket peer', async () => {
    assert.equal(await ipSeen(apps.default!, SPOOFED), '127.0.0.1')
    assert.equal(await ipSeen(apps.default!, { 'x-real-ip': '7.7.7.7' }), '127.0.0.1')
  })

  it('reads the last hop that is not a trusted proxy when the peer is a listed proxy', async () => {
    assert.equal(await ipSeen(apps.listed!, SPOOFED), '203.0.113.9')
    assert.equal(await ipSeen(apps.listed!, { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' }), '203.0.113.9')
  })

  it('falls back to X-Real-IP from a listed proxy without X-Forwarded-For', async () => {
    assert.equal(await ipSeen(apps.listed!, { 'x-real-ip': '7.7.7.7' }), '7.7.7.7')
  })

  it('ignores proxy headers from a peer that is not a listed proxy', async () => {
    assert.equal(await ipSeen(apps.otherProxy!, SPOOFED), '127.0.0.1')
  })

  it('reads the first hop from anybody with TRUST_PROXY_HEADERS=true, as upstream', async () => {
    assert.equal(await ipSeen(apps.any!, SPOOFED), '6.6.6.6')
  })
})
