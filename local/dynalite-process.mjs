// dynalite in its own process, so DynamoDB emulation gets a core of its own instead of sharing the
// event loop with the SQS and S3 emulators. Started by local/emulators.ts with an IPC channel:
// it reports its port, and exits when asked or when its parent goes away (even after SIGKILL),
// closing LevelDB cleanly so the data under .local/ survives.
import { patchDynaliteIndexKeys } from './dynalite-patch.mjs';

patchDynaliteIndexKeys();
const { default: dynalite } = await import('dynalite');

const [path, portArg] = process.argv.slice(2);
const server = dynalite({ path: path || undefined, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('disconnect', close);
process.on('SIGTERM', close);
process.on('SIGINT', close);
server.once('error', (err) => {
  process.send?.({ type: 'error', message: String(err) });
  process.exit(1);
});
server.listen(Number(portArg) || 0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: server.address().port });
});
