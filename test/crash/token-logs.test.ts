/**
 * Tokens never reach the logs: the real process at LOG_LEVEL=debug is sent
 * requests that carry a project token in every place a client can put one
 * (query ?data=, ?token=, headers, bodies that fail to parse, too-long and
 * personal keys, rate limits), and its whole output is searched for the
 * token. Request logs carry the path and at most a masked token.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { post, postJson, request } from '../helpers/http-client.js'
import { exitOf, spawnServer, type ServerProcess } from '../helpers/server-process.js'

const SECRET = 'phc_SecretProjectToken7q3ZxK'
const event = { event: 'logged', distinct_id: 'u1', api_key: SECRET, properties: { token: SECRET } }
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')

describe('tokens in logs', () => {
  let server: ServerProcess
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'capture-tokens-'))
    server = await spawnServer({ dataDir: dir, env: { LOG_LEVEL: 'debug', RATE_LIMIT_TOKEN_EVENTS_PER_SECOND: '1', RATE_LIMIT_TOKEN_BURST: '1' } })
  })
  after(async () => {
    server.child.kill('SIGTERM')
    await exitOf(server, 10_000)
    await rm(dir, { recursive: true, force: true })
  })

  it('never logs a token whole, wherever the client put it', async () => {
    const sends: Promise<unknown>[] = [
      request(server.url, `/e/?data=${encodeURIComponent(b64(event))}&token=${SECRET}`),
      request(server.url, `/nowhere?api_key=${SECRET}`, { headers: { authorization: `Bearer ${SECRET}` } }),
      request(server.url, `/e/?token=${SECRET}`, { method: 'PUT', headers: { token: SECRET } }),
      post(server.url, '/e/', `{"api_key":"${SECRET}","event":`),
      post(server.url, `/i/v0/e/?data=${SECRET}`, `{"api_key":"${SECRET}"}x`),
      post(server.url, '/e/', `data=${encodeURIComponent(`{"api_key":"${SECRET}",`)}`, { 'content-type': 'application/x-www-form-urlencoded' }),
      post(server.url, '/batch/', gzipSync(`[{"api_key":"${SECRET}"`)),
      postJson(server.url, '/e/', { ...event, api_key: `${SECRET}${'x'.repeat(64)}` }),
      postJson(server.url, '/e/', { ...event, api_key: `phx_${SECRET}` }),
      postJson(server.url, '/batch/', [event, { ...event, api_key: `${SECRET}2` }]),
      postJson(server.url, '/e/', { ...event, event: '' }),
      postJson(server.url, '/e/', { ...event, distinct_id: SECRET }),
      postJson(server.url, '/s/', { ...event, event: '$snapshot', properties: { $session_id: SECRET, $snapshot_data: [] } }),
    ]
    for (const send of sends) await send
    // The rate limit (1/s, burst 1) refuses the second of two quick batches.
    for (let i = 0; i < 3; i++) await postJson(server.url, '/batch/', { api_key: SECRET, batch: [event, event] })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const output = server.output()
    assert.ok(output.includes('"level"') || output.includes('"msg"'), 'the server logged nothing: the test would prove nothing')
    const leaks = output.split('\n').filter((line) => line.includes(SECRET.slice(4)))
    assert.deepEqual(leaks, [])
  })
})
