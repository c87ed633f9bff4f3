/** `npm start` as a user runs it, in its own process group with free ports (restart tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const ROOT = new URL('../..', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start -- --no-demo` in its own process group; resolves once it printed READY (or exited). */
export async function npmStart(env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn('npm', ['start', '--', '--no-demo'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!/^READY /m.test(out) && child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) throw new Error(`npm start not READY in 90 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out, exited };
}

/** Signals the whole process group and waits until the npm process is gone and the ports are free. */
export async function stop(r: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  process.kill(-r.child.pid!, signal);
  await Promise.race([r.exited, new Promise((res) => setTimeout(res, 20_000))]);
  // SIGTERM: npm start stops its workers and emulators itself; make sure nothing lingers either way.
  await new Promise((res) => setTimeout(res, 1500));
  try {
    process.kill(-r.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
