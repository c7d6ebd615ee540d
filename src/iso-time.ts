/**
 * isoTime: epoch milliseconds → the string Date#toISOString writes
 * (`2026-12-01T09:18:55.123Z`), without allocating a Date. Every event's
 * envelope carries one, so this is on the hot path; the last day's date part
 * is cached, since the events of a request are usually from the same day.
 * Integers in years 1970–9999 take the fast path, anything else goes
 * through Date (same output, same RangeError for invalid times).
 */
const DAY_MS = 86_400_000
const MAX_FAST_MS = 253_402_300_800_000 // 10000-01-01T00:00:00.000Z

let cachedDay = -1
let cachedDate = ''

export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < MAX_FAST_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY_MS)
  if (day !== cachedDay) {
    cachedDate = civilDate(day)
    cachedDay = day
  }
  let rest = ms - day * DAY_MS
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1000)
  const millis = rest - seconds * 1000
  return `${cachedDate}${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
}

const TWO = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)))

/** `YYYY-MM-DDT` of a day number since 1970-01-01 (the proleptic Gregorian civil-from-days algorithm). */
function civilDate(day: number): string {
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153)
  const dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return `${year}-${TWO[month]}-${TWO[dayOfMonth]}T`
}
