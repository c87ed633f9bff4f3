/**
 * Figure 7: each function bundled with esbuild the way the CDK stack bundles it (minified ESM,
 * node22 target, AWS SDK external — the Lambda runtime provides it), its size, and its module
 * init time: `import()` of the bundle in a fresh `node` process with the environment it needs.
 * Baseline: the same fresh process importing an empty module.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS, RESOURCE_ENV, type FunctionDecl } from '#infra/wiring.ts';
import { median } from './lib.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Inside the repository so the external `@aws-sdk/*` resolve from node_modules, as the runtime's do. */
const OUT = join(ROOT, 'node_modules', '.cache', 'ngsp-bench', 'coldstart');

export interface ColdStartRow {
  name: string;
  bundleBytes: number;
  gzipBytes: number;
  initMsMedian: number;
  initMsRuns: number[];
}

export interface ColdStartResult {
  runs: number;
  baselineMsMedian: number;
  functions: ColdStartRow[];
}

/** The environment a deployed function gets (placeholder resource names; nothing is called at init). */
function functionEnv(decl: FunctionDecl): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'ap-southeast-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: decl.name,
    POWERTOOLS_METRICS_NAMESPACE: 'NgspStats',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
    ...decl.settings,
  };
  for (const b of decl.binds) {
    env[RESOURCE_ENV[b.resource]] = b.resource.endsWith('Queue')
      ? 'https://sqs.ap-southeast-1.amazonaws.com/000000000000/bench'
      : `bench-${b.resource}`;
  }
  return env;
}

/** Milliseconds to import `file` in a fresh node process (measured inside it). */
function importMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`importing ${file} failed: ${out.stderr.slice(0, 2000)}`);
  return Number(out.stdout);
}

export async function benchColdStart(runs: number): Promise<ColdStartResult> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const empty = join(OUT, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  const functions: ColdStartRow[] = [];
  for (const decl of FUNCTIONS) {
    const outfile = join(OUT, decl.name, 'index.mjs');
    // The options of infra/constructs/app-function.ts (NodejsFunction bundling).
    await build({
      entryPoints: [join(ROOT, decl.entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      sourcemap: 'external',
      sourcesContent: false,
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __ngspCreateRequire } from 'node:module'; const require = __ngspCreateRequire(import.meta.url);",
      },
      external: ['@aws-sdk/*', 'protobufjs/minimal'],
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'error',
    });
    const env = functionEnv(decl);
    const times = Array.from({ length: runs }, () => importMs(outfile, env));
    functions.push({
      name: decl.name,
      bundleBytes: statSync(outfile).size,
      gzipBytes: gzipSync(readFileSync(outfile)).length,
      initMsMedian: Math.round(median(times) * 10) / 10,
      initMsRuns: times.map((t) => Math.round(t * 10) / 10),
    });
  }
  const baseline = Array.from({ length: runs }, () => importMs(empty, { PATH: process.env.PATH }));
  return { runs, baselineMsMedian: Math.round(median(baseline) * 100) / 100, functions };
}
