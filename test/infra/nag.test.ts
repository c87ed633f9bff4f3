/**
 * cdk-nag 3 (AwsSolutions) on the app, for the stage variants operators deploy: fails on any
 * unacknowledged finding, error or warning, and on any acknowledgement that no longer matches a
 * finding (stale acknowledgements hide future problems).
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp, nagFindings } from './app.ts';

const VARIANTS: Record<string, Record<string, string>> = {
  dev: { stage: 'dev' },
  'prod with alarm email': { stage: 'prod', alarmEmail: 'ops@example.org' },
  'prod with registered SQS senders': {
    stage: 'prod',
    senders: JSON.stringify({ 'LGSP-79': ['arn:aws:iam::111111111111:role/lgsp-79-sender'], ops: ['arn:aws:iam::111111111111:role/ops'] }),
  },
  'prod with a WAF web ACL and an existing API Gateway logging role': {
    stage: 'prod',
    webAclArn: 'arn:aws:wafv2:ap-southeast-1:111111111111:regional/webacl/ngsp/00000000-0000-0000-0000-000000000000',
    apiGatewayCloudWatchRole: 'false',
  },
};

/** Every acknowledgement in the tree: `rule @ construct path`, with its reason. */
function acknowledgements(root: IConstruct): { id: string; path: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([k, reason]) => ({
          id: k.replace(/^annotation::/i, ''),
          path: c.node.path,
          reason,
        })),
      ),
  );
}

describe('given the cdk-nag AwsSolutions pack', () => {
  it.each(Object.entries(VARIANTS))(
    'when the %s stack is checked, then no finding is left unacknowledged and every acknowledgement matches one',
    (_name, context) => {
      const { app } = buildApp(context);
      expect(nagFindings(app)).toEqual([]);
      // The same pack with acknowledgements ignored: the raw findings.
      const raw = new AwsSolutionsChecks();
      (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
      const findings = raw
        .validateScope(app)
        .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
      const acks = acknowledgements(app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.reason.length, `${ack.id} @ ${ack.path}`).toBeGreaterThan(60);
        expect(
          findings.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
          `stale: ${ack.id} @ ${ack.path}`,
        ).toBe(true);
      }
    },
  );

  it('when the app synthesizes with the pack registered as in infra/app.ts, then it does not throw', () => {
    const { app } = buildApp({ stage: 'prod' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
