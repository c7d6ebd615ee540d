import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { keySlot } from './key-slot.js'

describe('keySlot', () => {
  it('is CRC16-XMODEM of the key modulo 16384 (0x31C3 for "123456789", the specification check value)', () => {
    assert.equal(keySlot('123456789'), 0x31c3 % 16384)
  })

  it('hashes only a non-empty {tag}, the first { to the first } after it', () => {
    assert.equal(keySlot('{user1000}.following'), keySlot('user1000'))
    assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'))
    assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'))
    assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'))
  })

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    assert.equal(keySlot('é{x'), 8265) // CLUSTER KEYSLOT on Redis 7.0
  })
})
