import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { matches, renderFor, type TappedEvent, type TappedRefusal } from './debug-records.js'

const TOKEN = 'phc_debugrecordtoken123'

function anEvent(overrides: Partial<TappedEvent> = {}): TappedEvent {
  const data = JSON.stringify({ event: 'signup', distinct_id: 'u1', properties: { token: TOKEN } })
  const value = JSON.stringify({ uuid: 'x', distinct_id: 'u1', token: TOKEN, data })
  return { kind: 'event', at: 0, worker: 1, topic: 'events_plugin_ingestion', key: `${TOKEN}:u1`, headers: { token: TOKEN, event: 'signup', distinct_id: 'u1' }, value, valueLength: value.length, truncated: false, ...overrides }
}

const aRefusal: TappedRefusal = { kind: 'refused', at: 0, worker: 1, route: '/e', method: 'POST', code: 'invalid_json', status: 400, reason: 'bad', token: TOKEN }

describe('matches', () => {
  it('matches an event on every filter field that is set, exactly', () => {
    assert.equal(matches(anEvent(), {}), true)
    assert.equal(matches(anEvent(), { token: TOKEN, event: 'signup', distinctId: 'u1' }), true)
    assert.equal(matches(anEvent(), { event: 'sign' }), false)
    assert.equal(matches(anEvent(), { distinctId: 'u2' }), false)
  })

  it('shows a refusal only without event or distinct_id filters, and on its own token', () => {
    assert.equal(matches(aRefusal, {}), true)
    assert.equal(matches(aRefusal, { token: TOKEN }), true)
    assert.equal(matches(aRefusal, { token: 'phc_other' }), false)
    assert.equal(matches(aRefusal, { event: 'signup' }), false)
  })
})

describe('renderFor', () => {
  it('masks the token everywhere it appears: key, headers, envelope and the event inside data', () => {
    const text = renderFor(JSON.stringify(anEvent()), TOKEN, {})
    assert.equal(text.includes(TOKEN), false)
    const record = JSON.parse(text) as TappedEvent
    assert.equal(record.headers.token, 'phc_de…n123')
    assert.equal(record.key, 'phc_de…n123:u1')
    const envelope = JSON.parse(record.value) as { token: string; data: string }
    assert.equal(envelope.token, 'phc_de…n123')
    assert.equal((JSON.parse(envelope.data) as { properties: { token: string } }).properties.token, 'phc_de…n123')
  })

  it('reveals the token to a viewer who filtered on exactly that token', () => {
    const json = JSON.stringify(anEvent())
    assert.equal(renderFor(json, TOKEN, { token: TOKEN }), json)
  })

  it('masks a token that needs JSON escaping in every form', () => {
    const odd = 'phc_quote"back\\slash_1234'
    const data = JSON.stringify({ properties: { token: odd } })
    const value = JSON.stringify({ token: odd, data })
    const text = renderFor(JSON.stringify(anEvent({ headers: { token: odd }, key: null, value })), odd, {})
    const record = JSON.parse(text) as TappedEvent
    const envelope = JSON.parse(record.value) as { token: string; data: string }
    assert.notEqual(record.headers.token, odd)
    assert.notEqual(envelope.token, odd)
    assert.equal(JSON.stringify(JSON.parse(envelope.data)).includes('back\\\\slash'), false)
  })
})
