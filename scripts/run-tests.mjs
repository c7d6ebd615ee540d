#!/usr/bin/env node
// Runs every *.test.ts under the given folders with node's test runner (Node 20
// does not expand globs itself). Exits non-zero when a folder holds no test, so
// a suite can never pass by finding nothing.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const roots = process.argv.slice(2)
if (roots.length === 0) {
  console.error('usage: run-tests.mjs DIR [DIR...]')
  process.exit(2)
}

function collect(dir) {
  const found = []
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) found.push(...collect(full))
    else if (name.endsWith('.test.ts')) found.push(full)
  }
  return found
}

const files = []
for (const root of roots) {
  const inRoot = collect(root)
  if (inRoot.length === 0) {
    console.error(`run-tests: no *.test.ts under ${root}`)
    process.exit(1)
  }
  files.push(...inRoot)
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
