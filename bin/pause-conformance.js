#!/usr/bin/env node
// Entry point. The harness is TypeScript run by Node's own type stripping, so there is no build
// step between a checkout and a run. npm scripts run it on the Node 24 that `npm ci` installs
// into node_modules/.bin (the `node` devDependency); a direct call on an older Node gets one line.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(
    `pause-conformance: Node ${process.versions.node} is too old: it needs Node >= 22.22 to run TypeScript directly. ` +
      'Run it through npm (`npm run conformance`, which uses the Node 24 that `npm ci` installed) or install Node 24.\n',
  );
  process.exit(2);
}
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv.slice(2));
// gRPC channels and watches may keep handles open; the run is over, so end the process.
process.exit(code);
