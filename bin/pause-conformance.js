#!/usr/bin/env node
// Entry point, in plain JavaScript so that any Node can read it and say when it is too old.
// In a checkout it runs the TypeScript sources (Node strips the types: no build step between an
// edit and a run; npm scripts run it on the Node 24 that `npm ci` installs into node_modules/.bin).
// In an installed package, where Node strips no types (node_modules) and no .ts is shipped, it
// runs the JavaScript that `npm run build` made in dist/.
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(
    `pause-conformance: Node ${process.versions.node} is too old: it needs Node >= 22.22. ` +
      'Install Node 24 (or run `npm i -D node@24` in your project and call it through `npx` or an npm script), then run it again.\n',
  );
  process.exit(2);
}
const sources = new URL('../lib/cli/main.ts', import.meta.url);
const { main } = await import(existsSync(sources) ? sources.href : new URL('../dist/lib/cli/main.js', import.meta.url).href);
const code = await main(process.argv.slice(2));
// gRPC channels and watches may keep handles open; the run is over, so end the process.
process.exit(code);
