/**
 * The UTF-8 size of a string, checked against a limit without encoding it
 * when that cannot matter. A UTF-16 code unit is at most 3 UTF-8 bytes, so
 * text whose length times 3 is within the limit fits whatever it holds:
 * counting its bytes would cost a pass over the text for nothing.
 */

/**
 * The exact UTF-8 byte length when the text could exceed `limit`; otherwise
 * its length in code units, a lower bound that is itself within the limit.
 * Either way the result is over `limit` exactly when the bytes are.
 */
export function utf8LengthAgainst(text: string, limit: number): number {
  return text.length * 3 > limit ? Buffer.byteLength(text) : text.length
}
