import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ms } from '../units.js'
import type { TapBatch } from './debug-records.js'
import { EventTap } from './event-tap.js'

const message = (event: string) => ({ topic: 't', key: 'k', headers: { token: 'phc_t', event, distinct_id: 'u' }, value: '{}' })

function aTap(perSecond: number) {
  let now = 1_000_000
  const batches: TapBatch[] = []
  const tap = new EventTap({ clock: () => now, deliver: (batch) => batches.push(batch) }, { perSecond, worker: 1, flushEvery: ms(60_000) })
  return { tap, batches, advance: (byMs: number) => void (now += byMs), flush: () => (tap as unknown as { flush(): void }).flush() }
}

describe('EventTap', () => {
  it('is inactive, and takes nothing, until some viewer subscribes', () => {
    const { tap, batches, flush } = aTap(10)
    assert.equal(tap.active, false)
    tap.offerMessages([message('a')])
    flush()
    assert.deepEqual(batches, [])
  })

  it('takes at most perSecond records a second and counts the rest as skipped', () => {
    const { tap, batches, flush, advance } = aTap(3)
    tap.setSubscriptions([{}])
    tap.offerMessages([1, 2, 3, 4, 5].map((n) => message(`e${n}`)))
    advance(1000)
    tap.offerMessages([message('e6')])
    flush()
    tap.close()
    assert.equal(batches.length, 1)
    assert.deepEqual(batches[0]!.records.map((r) => (r.kind === 'event' ? r.headers.event : r.code)), ['e1', 'e2', 'e3', 'e6'])
    assert.equal(batches[0]!.skipped, 2)
  })

  it('takes only what some viewer\'s filter matches', () => {
    const { tap, batches, flush } = aTap(10)
    tap.setSubscriptions([{ event: 'wanted' }])
    tap.offerMessages([message('wanted'), message('other')])
    tap.offerRefusal({ route: '/e', method: 'POST', code: 'invalid_json', status: 400, reason: 'x' })
    flush()
    tap.close()
    assert.deepEqual(batches[0]!.records.map((r) => r.kind), ['event'])
  })

  it('cuts a long envelope and keeps its full length', () => {
    const { tap, batches, flush } = aTap(10)
    tap.setSubscriptions([{}])
    tap.offerMessages([{ ...message('big'), value: 'x'.repeat(100_000) }])
    flush()
    tap.close()
    const record = batches[0]!.records[0]!
    assert.ok(record.kind === 'event' && record.value.length === 16 * 1024 && record.valueLength === 100_000 && record.truncated)
  })
})
