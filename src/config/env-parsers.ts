/**
 * Typed readers for environment variables. Each reader records a problem
 * instead of throwing, so startup can report every bad variable at once.
 */
export type Env = Readonly<Record<string, string | undefined>>

export class EnvReader {
  readonly problems: string[] = []

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const raw = this.env[name]
    return raw === undefined || raw === '' ? fallback : raw
  }

  optionalString(name: string): string | undefined {
    const raw = this.env[name]
    return raw === undefined || raw === '' ? undefined : raw
  }

  int(name: string, fallback: number, range: { min: number; max?: number }): number {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    const max = range.max ?? Number.MAX_SAFE_INTEGER
    if (!Number.isInteger(value) || value < range.min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected an integer from ${range.min} to ${max}`)
      return fallback
    }
    return value
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    const lower = raw.toLowerCase()
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true
    if (['0', 'false', 'no', 'off'].includes(lower)) return false
    this.problems.push(`${name}=${JSON.stringify(raw)}: expected true or false`)
    return fallback
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`)
    return fallback
  }

  list(name: string): string[] {
    const raw = this.env[name]
    if (raw === undefined || raw.trim() === '') return []
    return raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
  }

  address(name: string, fallback: string): { host: string; port: number } {
    const raw = this.string(name, fallback)
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw)
    const port = match ? Number(match[2]) : NaN
    if (!match || port > 65535) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected HOST:PORT, e.g. 127.0.0.1:3000`)
      return { host: '127.0.0.1', port: 3000 }
    }
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port }
  }

  problem(message: string): void {
    this.problems.push(message)
  }
}
