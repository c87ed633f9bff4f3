/**
 * The real thing: `cdk synth -q` as the CLI runs it (cdk.json app, cdk-nag registered), offline
 * and without AWS credentials, bundling every function with esbuild. Each bundle must stay under
 * 1 MB minified. Slow (tens of seconds): it proves what an operator's first command does.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/app-function.ts';
import { FUNCTIONS, RESOURCE_ENV } from '#infra/wiring.ts';

const run = promisify(execFile);
const MAX_BUNDLE_BYTES = 1024 * 1024;
/** The rollup renders the monthly report's PDF: pdfkit and fontkit add about 0.7 MB. */
const MAX_BUNDLE_BYTES_BY_FUNCTION: Record<string, number> = { rollup: 1.5 * 1024 * 1024 };
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('given no AWS credentials and no network but the npm registry', () => {
  it('when `cdk synth -q` runs, then it bundles every function under 1 MB (the rollup, with the PDF engine, under 1.5 MB)', async () => {
    // Inside the repository, so the bundles' externals (@aws-sdk/*, as the runtime provides) resolve.
    const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    const out = await mkdtemp(path.join(cache, 'ngsp-cdk-out-'));
    dirs.push(out);
    // Prepare: an environment with no credentials, profile or region of any kind.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: out /* no ~/.aws */,
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
    };
    // Act
    const started = Date.now();
    await run('npx', ['cdk', 'synth', '-q', '--no-notices', '--output', out, '-c', 'stage=ci'], {
      cwd: REPO_ROOT,
      env,
      maxBuffer: 32 * 1024 * 1024,
    });
    const seconds = (Date.now() - started) / 1000;
    // Assess
    const template = JSON.parse(await readFile(path.join(out, 'NgspStats-ci.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }>;
    };
    const sizes: Record<string, number> = {};
    for (const decl of FUNCTIONS) {
      const fn = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === decl.name,
      );
      expect(fn, decl.name).toBeDefined();
      const asset = fn!.Metadata!['aws:asset:path']!;
      const bundle = await stat(path.join(out, asset, 'index.mjs'));
      await stat(path.join(out, asset, 'index.mjs.map'));
      sizes[decl.name] = bundle.size;
      expect(bundle.size, `${decl.name} bundle`).toBeLessThan(MAX_BUNDLE_BYTES_BY_FUNCTION[decl.name] ?? MAX_BUNDLE_BYTES);
      for (const f of decl.bundleFiles ?? []) await stat(path.join(out, asset, path.basename(f)));
      // The ESM bundle loads (createRequire banner, externals) and exports the declared handler.
      const bindingEnv = Object.fromEntries(
        decl.binds.map((b) => [RESOURCE_ENV[b.resource], b.resource.endsWith('Queue') ? 'https://sqs.invalid/1/q' : 'x']),
      );
      const probe = `const m = await import(${JSON.stringify(path.join(out, asset, 'index.mjs'))}); console.log(typeof m[${JSON.stringify(decl.handler)}]);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: REPO_ROOT,
        env: {
          ...env,
          ...decl.settings,
          ...bindingEnv,
          AWS_REGION: 'ap-southeast-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      expect(stdout.trim(), `${decl.name} handler export`).toBe('function');
    }
    console.log(`cdk synth: ${seconds.toFixed(1)} s; bundles (bytes, minified): ${JSON.stringify(sizes)}`);
  }, 300_000);
});
