/**
 * Entry point of forcedown's cdktf app (`"app": "node dist/iac/main.js"` in cdktf.json).
 * Reads FORCEDOWN_DESIRED_STATE; see docs/iac.md.
 */
import { synthesizeApp } from './app.js';

process.exitCode = synthesizeApp();
