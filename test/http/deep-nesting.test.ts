/**
 * Deeply nested client data over real sockets: wherever a value can sit in an
 * event or a batch, nesting it 5,000 or 100,000 levels deep gets a catalogue
 * 4xx on every capture route, never a 500: bad input gets a clear JSON
 * error. JSON.parse copes with any depth; what must not escape is a
 * stack overflow in a recursive walk or stringify of the parsed value.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { errorOf, post, postJson, anEvent, TOKEN } from '../helpers/http-client.js'

const arrays = (depth: number): string => '['.repeat(depth) + '1' + ']'.repeat(depth)
const objects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

const SESSION = '"$session_id":"s1","$window_id":"w1"'
const SNAPSHOT = '"$snapshot_data":[{"type":2,"data":{}}]'

/** One body per place a client can put a value; `deep` goes in that place. */
function placements(deep: string): Record<string, string> {
  const event = (fields: string, properties = `${SESSION},${SNAPSHOT}`): string =>
    `{"event":"$snapshot",${fields},"properties":{${properties}}}`
  const plain = `"distinct_id":"d","api_key":"${TOKEN}"`
  return {
    'distinct_id': event(`"distinct_id":${deep},"api_key":"${TOKEN}"`),
    '$distinct_id': event(`"$distinct_id":${deep},"api_key":"${TOKEN}"`),
    'properties.distinct_id': event(`"api_key":"${TOKEN}"`, `"distinct_id":${deep},${SESSION},${SNAPSHOT}`),
    'a property': event(plain, `${SESSION},${SNAPSHOT},"x":${deep}`),
    '$snapshot_data item': event(plain, `${SESSION},"$snapshot_data":[${deep}]`),
    '$snapshot_data object': event(plain, `${SESSION},"$snapshot_data":{"x":${deep}}`),
    '$set': event(`${plain},"$set":${deep}`),
    'event name': `{"event":${deep},${plain},"properties":{${SESSION},${SNAPSHOT}}}`,
    'uuid': event(`${plain},"uuid":${deep}`),
    'timestamp': event(`${plain},"timestamp":${deep}`),
    'event sent_at': event(`${plain},"sent_at":${deep}`),
    'event token': event(`"distinct_id":"d","api_key":${deep}`),
    'batch token': `{"api_key":${deep},"batch":[${event('"distinct_id":"d"')}]}`,
    'batch sent_at': `{"api_key":"${TOKEN}","sent_at":${deep},"batch":[${event('"distinct_id":"d"')}]}`,
    'historical_migration': `{"api_key":"${TOKEN}","historical_migration":${deep},"batch":[${event('"distinct_id":"d"')}]}`,
    '$lib': event(plain, `${SESSION},${SNAPSHOT},"$lib":${deep}`),
    '$snapshot_source': event(plain, `${SESSION},${SNAPSHOT},"$snapshot_source":${deep}`),
    'the whole body': deep,
  }
}

const ROUTES = ['/batch/', '/e/', '/engage/', '/i/v0/e/', '/s/', '/capture/recording/']

describe('deeply nested client data', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  for (const [shape, build] of [['arrays', arrays], ['objects', objects]] as const) {
    for (const depth of [5_000, 100_000]) {
      it(`never answers 5xx for ${depth} nested ${shape} anywhere in a request, on any route`, async () => {
        const failures: string[] = []
        for (const [where, body] of Object.entries(placements(build(depth)))) {
          for (const route of ROUTES) {
            const reply = await post(t.url, route, body)
            if (reply.status >= 500) failures.push(`${route} ${where}: ${reply.status} ${reply.text.slice(0, 120)}`)
            else if (reply.status >= 400) errorOf(reply)
          }
        }
        assert.deepEqual(failures, [])
      })
    }
  }

  for (const route of ['/s/', '/capture/recording/']) {
    for (const field of ['distinct_id', 'properties.distinct_id']) {
      it(`refuses a recording whose ${field} is 5,000 levels deep with 400 event_too_deep on ${route}`, async () => {
        const body = placements(arrays(5_000))[field]!
        const reply = await post(t.url, route, body)
        assert.equal(reply.status, 400, reply.text.slice(0, 200))
        const error = errorOf(reply)
        assert.equal(error.code, 'event_too_deep')
        assert.equal(error.attr, '[0].distinct_id')
      })
    }
  }

  it('keeps serving after all of it', async () => {
    assert.equal((await postJson(t.url, '/e/', anEvent())).status, 200)
  })
})
