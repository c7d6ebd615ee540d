/**
 * urlencoded form fields read straight from the body Buffer, without turning
 * the whole body into a string (URLSearchParams would copy a 20 MB body three
 * or four times). A value is percent-decoded on demand: `peek` decodes only
 * its first bytes (so a payload that cannot succeed is refused before the rest
 * is decoded), `decode` all of it, with native copies between escapes; a
 * value without `%` or `+` is a view of the body, not a copy. Semantics follow
 * form_urlencoded (upstream's parser): `+` is a space, a malformed `%` escape
 * is kept as is, bytes that are not UTF-8 become U+FFFD, the first occurrence
 * of a key wins.
 */
import { isUtf8 } from 'node:buffer'

const AMP = 0x26
const EQ = 0x3d
const PLUS = 0x2b
const PERCENT = 0x25
const SPACE = 0x20

export interface FormValue {
  /** The first decoded bytes (at least `bytes` when the value is that long). */
  peek(bytes: number): Buffer
  decode(): Buffer
}

export interface FormFields {
  readonly data?: FormValue
  readonly compression?: string
}

const DATA = Buffer.from('data')
const COMPRESSION = Buffer.from('compression')

export function readFormFields(body: Buffer): FormFields {
  let data: FormValue | undefined
  let compression: string | undefined
  let start = 0
  while (start <= body.length && (data === undefined || compression === undefined)) {
    let end = body.indexOf(AMP, start)
    if (end === -1) end = body.length
    const eq = body.indexOf(EQ, start)
    const keyEnd = eq === -1 || eq > end ? end : eq
    const raw = body.subarray(keyEnd === end ? end : keyEnd + 1, end)
    if (data === undefined && keyIs(body, start, keyEnd, DATA)) data = formValue(raw)
    else if (compression === undefined && keyIs(body, start, keyEnd, COMPRESSION)) compression = formValue(raw).decode().toString('utf8')
    start = end + 1
  }
  return { data, compression }
}

function keyIs(body: Buffer, start: number, end: number, key: Buffer): boolean {
  return end - start === key.length && body.compare(key, 0, key.length, start, end) === 0
}

function formValue(raw: Buffer): FormValue {
  let decoded: Buffer | undefined
  return {
    // 3 raw bytes at most per decoded byte: decoding 3× the wanted bytes of raw is enough.
    peek: (bytes) => decoded?.subarray(0, bytes) ?? percentDecode(raw.subarray(0, bytes * 3)),
    decode: () => (decoded ??= lossyUtf8(percentDecode(raw))),
  }
}

function percentDecode(raw: Buffer): Buffer {
  const hasPercent = raw.indexOf(PERCENT) !== -1
  if (!hasPercent && raw.indexOf(PLUS) === -1) return raw
  const out = Buffer.allocUnsafe(raw.length)
  let written = 0
  let read = 0
  while (read < raw.length) {
    const escape = hasPercent ? raw.indexOf(PERCENT, read) : -1
    const runEnd = escape === -1 ? raw.length : escape
    if (runEnd > read) {
      raw.copy(out, written, read, runEnd)
      plusToSpace(out, written, written + runEnd - read)
      written += runEnd - read
    }
    if (escape === -1) break
    if (escape + 2 < raw.length && isHex(raw[escape + 1]!) && isHex(raw[escape + 2]!)) {
      out[written++] = (hexValue(raw[escape + 1]!) << 4) | hexValue(raw[escape + 2]!)
      read = escape + 3
    } else {
      out[written++] = PERCENT
      read = escape + 1
    }
  }
  return out.subarray(0, written)
}

function plusToSpace(buffer: Buffer, from: number, to: number): void {
  for (let at = buffer.indexOf(PLUS, from); at !== -1 && at < to; at = buffer.indexOf(PLUS, at + 1)) buffer[at] = SPACE
}

/** form_urlencoded decodes values lossily; valid bytes stay as they are (no copy). */
const lossyUtf8 = (value: Buffer): Buffer => (isUtf8(value) ? value : Buffer.from(value.toString('utf8'), 'utf8'))

const isHex = (byte: number): boolean => (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)

const hexValue = (byte: number): number => (byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x57)
