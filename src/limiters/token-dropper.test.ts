import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { aCaptureEvent, aLimitRequest, LIMIT_TOKEN } from '../../test/helpers/capture-event.js'
import { KEEP } from './decisions.js'
import { applyTokenDropper } from './token-dropper.js'
import { parseTokenKeys } from './token-keys.js'

const kept = (entries: string[], distinctIds: string[]) => {
  const request = aLimitRequest(distinctIds.map((distinctId) => aCaptureEvent({ distinctId })))
  const decisions = request.events.map(() => KEEP)
  applyTokenDropper(parseTokenKeys(entries), request, decisions)
  return decisions.map((d) => (d.keep ? 'kept' : d.cause))
}

describe('token dropper', () => {
  it('drops every event of a listed token', () => {
    assert.deepEqual(kept([LIMIT_TOKEN], ['a', 'b']), ['token_dropper', 'token_dropper'])
  })

  it('drops only the listed distinct id of a token:distinct_id pair', () => {
    assert.deepEqual(kept([`${LIMIT_TOKEN}:a`], ['a', 'b']), ['token_dropper', 'kept'])
  })

  it('reads distinct ids that contain a colon', () => {
    assert.deepEqual(kept([`${LIMIT_TOKEN}:user:42`], ['user:42', 'user']), ['token_dropper', 'kept'])
  })

  it('leaves other tokens alone', () => {
    assert.deepEqual(kept(['phc_other', 'phc_other:a'], ['a']), ['kept'])
  })
})
