import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EnvReader } from './env-parsers.js'
import { isTrustedProxy, readProxyTrust } from './proxy-trust.js'

const read = (value: string | undefined): { trust: ReturnType<typeof readProxyTrust>; problems: string[] } => {
  const reader = new EnvReader({ TRUST_PROXY_HEADERS: value })
  return { trust: readProxyTrust(reader), problems: reader.problems }
}

describe('readProxyTrust', () => {
  it('trusts nobody by default', () => {
    assert.equal(read(undefined).trust.kind, 'none')
    assert.equal(read('false').trust.kind, 'none')
  })

  it('trusts everybody with true, as upstream', () => {
    assert.equal(read('true').trust.kind, 'any')
  })

  it('trusts listed addresses and ranges, IPv4 and IPv6, mapped or not', () => {
    const { trust, problems } = read('10.0.0.0/8, 192.168.1.10,fd00::/8')
    assert.deepEqual(problems, [])
    assert.ok(isTrustedProxy(trust, '10.200.3.4'))
    assert.ok(isTrustedProxy(trust, '192.168.1.10'))
    assert.ok(isTrustedProxy(trust, 'fd12::1'))
    assert.ok(!isTrustedProxy(trust, '192.168.1.11'))
    assert.ok(!isTrustedProxy(trust, 'not an ip'))
  })

  it('reports an entry that is neither an address nor a range', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/2', '10.0.0.0/x']) {
      const { trust, problems } = read(bad)
      assert.equal(trust.kind, 'none')
      assert.equal(problems.length, 1, bad)
      assert.match(problems[0]!, /TRUST_PROXY_HEADERS/)
    }
  })
})
