/**
 * CDK app (cdk.json: `npx tsx infra/app.ts`): one stack `NgspStats-<stage>`, settings from
 * context, cdk-nag AwsSolutions checks on everything.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from './settings.ts';
import { NgspStatsStack } from './stack.ts';

const app = new App();
const settings = readSettings(app.node);
new NgspStatsStack(app, `NgspStats-${settings.stage}`, {
  settings,
  // Environment-agnostic unless the CLI knows the account: synth works with no credentials.
  env: process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  tags: { project: 'ngsp-stats', stage: settings.stage },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
