#!/usr/bin/env node
// forcedown command-line entry point: runs the compiled CLI (npm ci builds dist/ through "prepare").
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
