#!/usr/bin/env node
// The `switchboard` command of this package (`npx switchboard ...`): runs the CLI from the
// TypeScript sources through tsx, so the commands need no build. `npm start` does not use this
// file: it builds dist/switchboard.mjs and runs that.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
