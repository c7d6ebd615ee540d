/**
 * Keeps the layering honest: no import circle between modules of src/, and no
 * circle between its folders (each folder depends only on folders beneath
 * it; docs/architecture.md draws the layers). Type-only imports count: a
 * circle of types is still a circle of layers. Files at the top of src/
 * (app.ts, main.ts, clock.ts, units.ts) are nodes of their own, since the
 * composition root and the leaf units share that folder.
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

  it('finds a circle when there is one, naming its path', () => {
    const circular: Graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])
    assert.deepEqual(findCycles(circular), ['a → b → c → a'])
  })
})
