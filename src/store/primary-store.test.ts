import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { ms } from '../units.js'
import { manualClock } from '../../test/helpers/manual-clock.js'
import { createMemoryStore } from './memory-store.js'
import { createPrimaryStore, createStoreServer, type StoreChannel, type StoreReply, type StoreRequest } from './primary-store.js'
import { storeContract } from './store-contract.js'

const metrics = createMetrics({ defaultMetrics: false })

/** Both ends of the IPC channel in one process; messages are cloned as IPC would. */
function linkedPrimary(options: { answer?: boolean } = {}) {
  const clock = manualClock()
  const primary = createMemoryStore({ clock, logger: createLogger({ level: 'silent' }) }, { maxKeys: 1000 })
  const serve = createStoreServer(primary)
  const sent: StoreRequest[] = []
  let listener: (reply: StoreReply) => void = () => {}
  const channel: StoreChannel = {
    send(request) {
      sent.push(request)
      if (options.answer === false) return
      void serve(structuredClone(request)).then((reply) => setImmediate(() => listener(structuredClone(reply))))
    },
    onReply: (next) => void (listener = next),
  }
  const store = createPrimaryStore({ channel, metrics }, { responseTimeout: ms(200) })
  return { store, primary, clock, sent }
}

storeContract('PrimaryStore', async () => {
  const { store, primary, clock } = linkedPrimary()
  return {
    store,
    addToSortedSet: async (key, member, score) => primary.addToSortedSet(key, member, score),
    elapse: async (duration) => clock.advance(duration),
    close: () => store.close(),
  }
})

describe('PrimaryStore', () => {
  it('sends the calls made in one event-loop turn as one message', async () => {
    const { store, sent } = linkedPrimary()
    await Promise.all([store.hasKeys(['a']), store.takeTokens([{ key: 'b', cost: 1, perSecond: 1, burst: 1 }], 0), store.sortedSetMembersFrom('q', 0)])
    assert.equal(sent.length, 1)
    assert.deepEqual(sent[0]?.calls.map((call) => call.op), ['has', 'take', 'members'])
  })

  it('rejects when the primary does not answer in time, so limiters fail open', async () => {
    const { store } = linkedPrimary({ answer: false })
    await assert.rejects(store.hasKeys(['a']), /no reply from the primary within 200 ms/)
    assert.match(store.health().detail ?? '', /fail open/)
  })
})
