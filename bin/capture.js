#!/usr/bin/env node
// The `capture` command: runs the compiled CLI (npm run build first); see src/cli/main.ts.
import { runCli } from '../dist/cli/main.js'

process.exitCode = await runCli(process.argv.slice(2))
