#!/usr/bin/env node
// The `ngsp` command: runs cli/main.ts through tsx (the repository ships TypeScript sources).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../cli/main.ts', import.meta.url).href);
