#!/usr/bin/env node
// The `occupancy` command. Runs the TypeScript sources through tsx, so a fresh clone needs no build
// step. The vehicle's and the back office's commands go straight to their own entry points, so they
// load only their deployable's code; everything else goes to the tools' command line. A vehicle
// image runs the compiled entry point instead (`npm run build` makes it: node dist/vehicle/gateway/main.js; docs/vehicle-image.md).
import { register } from 'tsx/esm/api';

const ENTRY = { gateway: '../gateway/main.ts', selftest: '../gateway/main.ts', backend: '../backend/main.ts' };

register();
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
await import(command !== undefined && Object.hasOwn(ENTRY, command) ? ENTRY[command] : '../provisioning/cli/main.ts');
