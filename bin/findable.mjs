#!/usr/bin/env node
// The `findable` command: the CLI is TypeScript run through tsx's loader, so the CLI, the server and
// the browser share the same src/core sources without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
