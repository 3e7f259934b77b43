#!/usr/bin/env node
// The `tessera` command: loads the TypeScript CLI through tsx's loader in this very process (no
// build step, and no child process, so Ctrl-C and the exit code reach the CLI directly).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/run.ts');
