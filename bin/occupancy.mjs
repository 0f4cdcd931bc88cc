#!/usr/bin/env node
// The `occupancy` command. Runs the TypeScript sources through tsx, so a fresh clone needs no
// build step; a vehicle image may run the compiled dist/ instead (see docs/technician-guide.md).
import { register } from 'tsx/esm/api';

register();
await import('../provisioning/cli/main.ts');
