#!/usr/bin/env node
/**
 * Builds capture's Kafka batch addon (native/kafka-batch) against the
 * librdkafka that @confluentinc/kafka-javascript built, with the system C
 * compiler and the installed Node's headers. Nothing is downloaded.
 *
 *   node scripts/build-native.mjs                 # build; fail loudly if it cannot
 *   node scripts/build-native.mjs --if-available  # (postinstall) skip quietly without the Kafka client
 *
 * The result is native/kafka-batch/build/kafka_batch.node; capture loads it in
 * Kafka mode (KAFKA_PRODUCER_ENGINE=auto|batch) and checks it loads here.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE = join(ROOT, 'native', 'kafka-batch', 'kafka_batch.c')
const OUT_DIR = join(ROOT, 'native', 'kafka-batch', 'build')
const OUT = join(OUT_DIR, 'kafka_batch.node')
const optional = process.argv.includes('--if-available')

function fail(message) {
  process.stderr.write(`build-native: ${message}\n`)
  process.exit(optional ? 0 : 1)
}

let binding
try {
  binding = dirname(createRequire(join(ROOT, 'package.json')).resolve('@confluentinc/kafka-javascript/package.json'))
} catch {
  if (optional) process.exit(0) // local-log install: nothing to build, nothing to say
  fail('the Kafka client @confluentinc/kafka-javascript is not installed; install with Kafka support first (docs/kafka.md)')
}
const header = join(binding, 'deps', 'librdkafka', 'src', 'rdkafka.h')
const libDir = join(binding, 'build', 'deps')
if (!existsSync(header) || !existsSync(join(libDir, 'librdkafka.so.1'))) {
  fail(`the Kafka client in ${binding} was not built from source (no ${header} or ${libDir}/librdkafka.so.1); reinstall it as docs/kafka.md says`)
}
const nodeIncludes = [process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'), resolve(process.execPath, '..', '..', 'include', 'node'), '/usr/include/node']
const nodeInclude = nodeIncludes.find((dir) => dir && existsSync(join(dir, 'node_api.h')))
if (nodeInclude === undefined) fail(`no node_api.h in ${nodeIncludes.filter(Boolean).join(', ')}: install Node.js with its headers`)

mkdirSync(OUT_DIR, { recursive: true })
const tmp = `${OUT}.tmp-${process.pid}`
const cc = process.env.CC ?? 'cc'
const args = ['-O2', '-Wall', '-Wno-unused-parameter', '-Wno-ignored-qualifiers', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=kafka_batch',
  `-I${nodeInclude}`, `-I${dirname(header)}`, '-o', tmp, SOURCE, `-L${libDir}`, '-l:librdkafka.so.1', `-Wl,-rpath,${libDir}`, '-lpthread']
const built = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] })
if (built.status !== 0) fail(`${cc} failed (exit ${built.status ?? built.error?.message}); the command was: ${cc} ${args.join(' ')}`)
renameSync(tmp, OUT)
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(binding, 'lib', 'index.js'))}); require(${JSON.stringify(OUT)})`], { stdio: 'inherit' })
if (check.status !== 0) fail(`${OUT} was built but does not load`)
process.stdout.write(`build-native: built ${OUT}\n`)
