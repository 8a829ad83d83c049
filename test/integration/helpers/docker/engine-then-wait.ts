/**
 * Starts the private engine, prints "engine <dockerd pid>", then waits to be killed: a test that is
 * SIGKILLed mid-way, for the stale-engine test. Bounded: after 10 minutes it stops the engine and
 * exits by itself, so it never lingers.
 */
import { startPrivateEngine } from './private-engine.ts';

const engine = await startPrivateEngine();
process.stdout.write(`engine ${engine.pid}\n`);
setTimeout(() => {
  void engine.stop().then((left) => {
    process.stderr.write(`not killed within 10 minutes; engine stopped${left.length > 0 ? `, left: ${left.join(', ')}` : ''}\n`);
    process.exit(1);
  });
}, 10 * 60_000);
