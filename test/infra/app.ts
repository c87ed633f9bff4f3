/**
 * Builds the CDK app as `cdk synth` does (cdk.json context, the same stack), with esbuild
 * bundling skipped so infra tests take seconds.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PolicyViolation } from 'aws-cdk-lib';
import { readSettings } from '#infra/settings.ts';
import { NgspStatsStack } from '#infra/stack.ts';
import { FUNCTIONS, type FunctionDecl } from '#infra/wiring.ts';

const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

/** The wiring table the stack is built from (every function, the api among them). */
export function wiringUnderTest(): readonly FunctionDecl[] {
  return FUNCTIONS;
}

export interface Built {
  app: App;
  stack: NgspStatsStack;
}

/** A synthesized-ready app with one stack; `context` adds `-c` values. */
export function buildApp(context: Record<string, string> = {}, functions: readonly FunctionDecl[] = wiringUnderTest()): Built {
  const app = new App({ context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [], ...context } });
  const settings = readSettings(app.node);
  const stack = new NgspStatsStack(app, `NgspStats-${settings.stage}`, { settings, functions });
  return { app, stack };
}

/** Every unacknowledged AwsSolutions finding (errors and warnings) of the app, as `rule @ path`. */
export function nagFindings(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v: PolicyViolation) =>
    v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) @ ${r.constructPath ?? r.resourceLogicalId}`),
  );
}
