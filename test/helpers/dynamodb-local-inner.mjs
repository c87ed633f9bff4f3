// Runs inside a network namespace of its own (`unshare -n`), where the only interface is the
// loopback: the official DynamoDB Local (which has no option to bind one address) listens there,
// and this process hands each connection that arrives on a Unix socket (a file the test process
// can reach) to it. Nothing is reachable from any network. Exits with its parent.
// Usage: unshare -n node dynamodb-local-inner.mjs <jar dir> <unix socket path>
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const [jarDir, socketPath] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const port = 8000;
const java = spawn(
  'java',
  [
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
  ],
  {
    cwd: jarDir,
    stdio: 'ignore',
  },
);
const stop = () => {
  java.kill('SIGKILL');
  process.exit(0);
};
java.once('exit', (code) => process.exit(code ?? 1));
process.on('SIGTERM', stop);
process.stdin.on('end', stop); // the parent went away
process.stdin.resume();
createServer((outer) => {
  const inner = connect(port, '127.0.0.1');
  outer.pipe(inner).pipe(outer);
  const close = () => {
    outer.destroy();
    inner.destroy();
  };
  outer.on('error', close);
  inner.on('error', close);
}).listen(socketPath);
