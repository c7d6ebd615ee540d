/**
 * Summarises V8 CPU profiles (.cpuprofile, as written by `node --cpu-prof` or
 * `bench/run.ts --profile <dir>`): the functions with the most self time, and
 * self time grouped by file, so a hot spot can be named with a figure.
 *
 *   npx tsx bench/profile-top.ts <file-or-dir>... [--top 25]
 *
 * Percentages are of all samples in the given profiles (idle and GC included,
 * shown as `(idle)` and `(garbage collector)`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: readonly number[]
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(path, f))
      : [path],
  )
}

function shortUrl(url: string): string {
  if (url === '') return ''
  const path = url.replace(/^file:\/\//, '')
  const modules = path.lastIndexOf('node_modules/')
  if (modules !== -1) return path.slice(modules)
  return path.startsWith('/') ? relative(process.cwd(), path) : path
}

/** Self time in microseconds per function key and per file across all profiles. */
function selfTimes(files: readonly string[]): { byFunction: Map<string, number>; byFile: Map<string, number>; total: number } {
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  let total = 0
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
    for (let i = 0; i < profile.samples.length; i++) {
      const node = nodes.get(profile.samples[i]!)
      const delta = profile.timeDeltas[i] ?? 0
      if (node === undefined) continue
      const frame = node.callFrame
      const where = shortUrl(frame.url)
      const key = `${frame.functionName || '(anonymous)'}  ${where}${where ? `:${frame.lineNumber + 1}` : ''}`
      byFunction.set(key, (byFunction.get(key) ?? 0) + delta)
      const fileKey = where || frame.functionName
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + delta)
      total += delta
    }
  }
  return { byFunction, byFile, total }
}

function printTop(title: string, times: Map<string, number>, total: number, top: number): void {
  process.stdout.write(`\n${title}\n`)
  const rows = [...times].sort((a, b) => b[1] - a[1]).slice(0, top)
  for (const [key, micros] of rows) {
    process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}\n`)
  }
}

function main(): void {
  const args = process.argv.slice(2)
  const topAt = args.indexOf('--top')
  const top = topAt === -1 ? 25 : Number(args[topAt + 1])
  const paths = args.filter((_, i) => i !== topAt && i !== topAt + 1)
  if (paths.length === 0) throw new Error('usage: profile-top.ts <file-or-dir>... [--top 25]')
  const files = profileFiles(paths)
  const { byFunction, byFile, total } = selfTimes(files)
  process.stdout.write(`${files.length} profile(s), ${(total / 1e6).toFixed(1)} s of samples\n`)
  printTop('Self time by function', byFunction, total, top)
  printTop('Self time by file', byFile, total, top)
}

main()
