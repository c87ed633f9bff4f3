import { defineConfig } from 'vitest/config';

const env = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/**
 * date-fns-tz's ES build imports the whole of date-fns' ES build (~300 files). On Node 22.23 every
 * one of them makes the loader re-read date-fns' 200 KB package.json, about 2.5 s of CPU per
 * worker process; pre-bundled by Vite into one file (cached under node_modules/.vite), it loads in
 * milliseconds. The code that runs is the same.
 */
const deps = { optimizer: { ssr: { enabled: true, include: ['date-fns-tz'] } } };

/**
 * Two lanes: `unit` (test/unit: pure modules and handlers over in-memory fakes, no emulator, no
 * child process; `npm run test:unit`, seconds) and `stack` (everything else under test/: real
 * emulators, worker processes, CDK synth, Chromium). `npm test` runs both.
 */
export default defineConfig({
  test: {
    env,
    // Workers are counted for the whole run, not per project (a project's poolOptions is not used
    // for this): vitest's default on 2 cores is one worker, which ran every file one after another.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // First, and alone: the stack lane's emulators and workers need the machine's 2 cores.
          sequence: { groupOrder: 0 },
          pool: 'threads',
          // Pure modules and fakes: one module graph per worker is safe and saves re-importing it per file.
          isolate: false,
          testTimeout: 30_000,
          env,
          deps,
        },
      },
      {
        test: {
          name: 'stack',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          sequence: { groupOrder: 1 },
          // Integration tests start real emulators and worker processes; 2 cores, so 2 forks.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env,
          deps,
        },
      },
    ],
  },
});
