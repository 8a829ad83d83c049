#!/usr/bin/env node
// Entry point. The harness is TypeScript run by Node's own type stripping (Node >= 22.18 / 24),
// so there is no build step between a checkout and a run.
import { main } from '../lib/cli/main.ts';

const code = await main(process.argv.slice(2));
// gRPC channels and watches may keep handles open; the run is over, so end the process.
process.exit(code);
