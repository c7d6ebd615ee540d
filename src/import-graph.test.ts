/**
 * Keeps the layering honest: no import circle between modules of src/, no
 * circle between its folders, and every import points down the layers that
 * docs/architecture.md draws (LAYERS below). Type-only imports count: a
 * circle of types is still a circle of layers. Files at the top of src/ are
 * nodes of their own: the leaves (clock.ts, units.ts, iso-time.ts) sit at
 * the bottom, every other one is a process entry or root at the top.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const SRC = dirname(fileURLToPath(import.meta.url))

type Graph = ReadonlyMap<string, readonly string[]>

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Relative imports of each file (static, re-exports, type-only and dynamic), as src-relative paths. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const imported = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles
      .map((ref) => ref.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => relative(SRC, resolve(dirname(file), name.replace(/\.js$/, '.ts'))))
    graph.set(relative(SRC, file), imported)
  }
  return graph
}

/** Folder of a module; a file at the top of src/ stands for itself. */
const folderOf = (file: string): string => (dirname(file) === '.' ? file : dirname(file))

function folderGraph(graph: Graph): Map<string, string[]> {
  const folders = new Map<string, Set<string>>()
  for (const [file, imports] of graph) {
    const from = folderOf(file)
    const targets = folders.get(from) ?? new Set<string>()
    for (const target of imports) if (folderOf(target) !== from) targets.add(folderOf(target))
    folders.set(from, targets)
  }
  return new Map([...folders].map(([folder, targets]) => [folder, [...targets]]))
}

/**
 * Layer of each top folder of src/. A module may import from strictly lower
 * layers (and from its own top folder); the entry points and composition
 * roots at the top may import anything.
 */
const LAYERS: Readonly<Record<string, number>> = {
  errors: 1,
  observability: 2,
  config: 2,
  pipeline: 3,
  store: 3,
  limiters: 4,
  sinks: 4,
  http: 4,
  debug: 4,
  cli: 5,
}
/** Files at the top of src/ that import nothing but each other: layer 0. */
const LEAF_FILES = new Set(['clock.ts', 'units.ts', 'iso-time.ts'])
const TOP = 5

function layerOf(file: string): { readonly name: string; readonly layer: number | undefined } {
  const [top] = file.split('/')
  if (top === file) return LEAF_FILES.has(file) ? { name: 'leaf files', layer: 0 } : { name: file, layer: TOP }
  return { name: top!, layer: LAYERS[top!] }
}

/** Imports that point sideways or up, and folders missing from LAYERS. */
function layerViolations(graph: Graph): string[] {
  const found: string[] = []
  for (const [file, imports] of graph) {
    const from = layerOf(file)
    if (from.layer === undefined) {
      found.push(`${from.name}/ has no layer in LAYERS`)
      continue
    }
    if (from.layer === TOP) continue
    for (const target of imports) {
      const to = layerOf(target)
      if (to.name === from.name || to.layer === undefined || to.layer < from.layer) continue
      found.push(`${file} (layer ${from.layer}) imports ${target} (layer ${to.layer})`)
    }
  }
  return [...new Set(found)].sort()
}

/** Every circle as a path `a → b → … → a`, one per strongly connected group (Tarjan). */
function findCycles(graph: Graph): string[] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[] = []
  const visit = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter++)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!))
    }
    if (low.get(node) !== index.get(node)) return
    const group: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      group.push(member)
    } while (member !== node)
    if (group.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(describeCycle(graph, new Set(group), node))
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node)
  return cycles
}

/** One concrete circle inside a strongly connected group, found by walking back to its start. */
function describeCycle(graph: Graph, group: ReadonlySet<string>, start: string): string {
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const next of graph.get(node) ?? []) {
      if (!group.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at)
        return [...path, start].join(' → ')
      }
      if (!previous.has(next)) {
        previous.set(next, node)
        queue.push(next)
      }
    }
  }
  return [...group].join(' ↔ ')
}

describe('the import graph of src/', () => {
  const files = sourceFiles(SRC)
  const graph = importGraph(files)

  it('has no import circle between modules', () => {
    assert.deepEqual(findCycles(graph), [])
  })

  it('has no circle between folders (production modules)', () => {
    const production = new Map([...graph].filter(([file]) => !file.endsWith('.test.ts')))
    assert.deepEqual(findCycles(folderGraph(production)), [])
  })

  it('imports only downward through the layers (production modules)', () => {
    const production = new Map([...graph].filter(([file]) => !file.endsWith('.test.ts')))
    assert.deepEqual(layerViolations(production), [])
  })

  it('finds a circle when there is one, naming its path', () => {
    const circular: Graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])
    assert.deepEqual(findCycles(circular), ['a → b → c → a'])
  })

  it('names an import that points sideways or up a layer', () => {
    const upward: Graph = new Map([['pipeline/stage.ts', ['http/server.ts', 'config/config.ts']], ['http/server.ts', []], ['config/config.ts', []]])
    assert.deepEqual(layerViolations(upward), ['pipeline/stage.ts (layer 3) imports http/server.ts (layer 4)'])
  })
})
