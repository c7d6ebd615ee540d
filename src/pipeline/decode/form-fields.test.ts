import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFormFields } from './form-fields.js'

const fields = (body: string): { data?: string; compression?: string } => {
  const read = readFormFields(Buffer.from(body, 'latin1'))
  return { data: read.data?.decode().toString('utf8'), compression: read.compression }
}

describe('readFormFields', () => {
  it('reads data and compression as URLSearchParams does', () => {
    for (const body of ['data=abc&compression=lz64', 'compression=gzip-js&data=a%2Bb%3D', 'ver=1&data=x+y&data=second', 'data=%E2%9C%93%zz%4', 'data=&compression=', 'data']) {
      const expected = new URLSearchParams(body)
      assert.deepEqual(fields(body), { data: expected.get('data') ?? undefined, compression: expected.get('compression') ?? undefined }, body)
    }
  })

  it('turns bytes that are not UTF-8 into U+FFFD, as form_urlencoded does', () => {
    assert.equal(fields('data=%FFok').data, '\uFFFDok')
  })

  it('returns a view of the body, not a copy, when the value needs no decoding', () => {
    const body = Buffer.from('data=eyJhIjoxfQ==')
    const data = readFormFields(body).data!.decode()
    assert.equal(data.buffer, body.buffer)
  })

  it('peeks at the first decoded bytes without decoding the rest', () => {
    const body = Buffer.from(`data=${'%41'.repeat(10_000)}`)
    assert.equal(readFormFields(body).data!.peek(4).toString(), 'AAAA')
  })
})
