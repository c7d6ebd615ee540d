import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { createDebugAuth } from './debug-auth.js'

const TOKEN = 'a-debug-token-of-some-length'
const requestWith = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('debug auth', () => {
  const auth = createDebugAuth(TOKEN)

  it('accepts the token as a Bearer header and refuses any other', () => {
    assert.equal(auth.isAuthorised(requestWith({ authorization: `Bearer ${TOKEN}` })), true)
    assert.equal(auth.isAuthorised(requestWith({ authorization: `Bearer ${TOKEN}x` })), false)
    assert.equal(auth.isAuthorised(requestWith({})), false)
  })

  it('sets an HttpOnly, SameSite=Strict cookie that is not the token and is accepted back', () => {
    const setCookie = auth.cookie(false)
    assert.match(setCookie, /; Path=\/_debug; HttpOnly; SameSite=Strict$/)
    assert.equal(setCookie.includes(TOKEN), false)
    const value = setCookie.slice(0, setCookie.indexOf(';'))
    assert.equal(auth.isAuthorised(requestWith({ cookie: `other=1; ${value}` })), true)
    assert.equal(auth.isAuthorised(requestWith({ cookie: 'capture_debug=forged' })), false)
  })

  it('marks the cookie Secure when the page was reached over TLS', () => {
    assert.match(auth.cookie(true), /; Secure$/)
  })

  it('recognises the login link\'s token exactly', () => {
    assert.equal(auth.isToken(TOKEN), true)
    assert.equal(auth.isToken(TOKEN.slice(0, -1)), false)
  })
})
