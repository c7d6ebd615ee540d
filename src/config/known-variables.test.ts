import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { KNOWN_VARIABLES, unknownVariables } from './known-variables.js'

const here = new URL('.', import.meta.url)
const sources = readdirSync(here).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')).map((name) => readFileSync(new URL(name, here), 'utf8'))
const docsDir = new URL('../../docs/', import.meta.url)
const docs = readdirSync(docsDir).filter((name) => name.endsWith('.md')).map((name) => readFileSync(new URL(name, docsDir), 'utf8')).join('\n')

describe('known variables', () => {
  it('include every variable src/config reads', () => {
    const read = new Set(sources.flatMap((text) => [...text.matchAll(/read\.\w+\('([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!)))
    assert.ok(read.size > 40)
    const missing = [...read].filter((name) => !KNOWN_VARIABLES.has(name))
    assert.deepEqual(missing, [], 'add these to KNOWN_VARIABLES in known-variables.ts')
  })

  it('are each documented in docs/ (configuration.md, or kafka.md / limits.md for their parts)', () => {
    const missing = [...KNOWN_VARIABLES].filter((name) => !docs.includes(`\`${name}\``))
    assert.deepEqual(missing, [], 'document these in docs/')
  })
})

describe('unknownVariables', () => {
  it('reports a misspelt variable with the one it most likely meant', () => {
    assert.deepEqual(unknownVariables({ DEDUP_TTL_SECOND: '60' }), [{ name: 'DEDUP_TTL_SECOND', didYouMean: 'DEDUP_TTL_SECONDS' }])
    assert.deepEqual(unknownVariables({ KAFKA_HOST: 'k:9092' }), [{ name: 'KAFKA_HOST', didYouMean: 'KAFKA_HOSTS' }])
  })

  it('reports a variable with our prefix and no close match without a guess', () => {
    assert.deepEqual(unknownVariables({ REDIS_SENTINELS: 'x' }), [{ name: 'REDIS_SENTINELS', didYouMean: undefined }])
  })

  it('ignores known variables, other software and other prefixes', () => {
    assert.deepEqual(unknownVariables({ DEDUP_TTL_SECONDS: '60', HTTP_PROXY: 'http://p', PATH: '/bin', HOME: '/root', NODE_ENV: 'production', WORKERS_EXTRA: '1' }), [])
  })
})
