import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chunkUuid } from './chunk-uuid.js'

const BASE = '01a215db-f2df-7421-b668-07dbaed3bb9d'

describe('chunkUuid', () => {
  it('keeps the recording uuid for the first chunk', () => {
    assert.equal(chunkUuid(BASE, 0), BASE)
  })

  it('derives a distinct UUIDv8 for every later chunk', () => {
    const uuids = [1, 2, 3, 10, 100].map((i) => chunkUuid(BASE, i))
    assert.equal(new Set([BASE, ...uuids]).size, 6)
    for (const uuid of uuids) assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('derives the same uuid again for the same recording and index, so retries keep their uuids', () => {
    // Pinned: a uuid that changed between releases would turn a retry into a second copy.
    assert.equal(chunkUuid(BASE, 3), 'e145667e-487b-85aa-a985-46c2b5b897e7')
    assert.notEqual(chunkUuid(BASE, 3), chunkUuid('01a215db-f2df-7421-b668-07dbaed3bb9e', 3))
  })
})
