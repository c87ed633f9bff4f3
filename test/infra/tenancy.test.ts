/**
 * Issue 13 on the synthesized template: API Gateway's own errors have the contract's body and
 * status; the ingest queue's send policy grants exactly the registered senders (CDK context
 * `senders`) and the API function, and denies every other principal; the keys table expires
 * throttle counters by TTL.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GATEWAY_RESPONSES } from '#infra/stack.ts';
import { buildApp } from './app.ts';

type Resource = { Type: string; Properties: Record<string, any> };

const SENDERS = {
  'LGSP-79': ['arn:aws:iam::111111111111:role/lgsp-79-sender'],
  'LGSP-01': 'arn:aws:iam::222222222222:user/lgsp-01',
  ops: ['arn:aws:iam::333333333333:role/ngsp-ops'],
};

function resourcesOf(context: Record<string, string>): {
  template: Template;
  resources: Record<string, Resource>;
  apiRoleId: string;
  queueId: string;
} {
  const { stack } = buildApp(context);
  const template = Template.fromStack(stack);
  return {
    template,
    resources: template.toJSON().Resources as Record<string, Resource>,
    apiRoleId: stack.getLogicalId(stack.functions.get('api')!.role.node.defaultChild as never),
    queueId: stack.getLogicalId(stack.ingestQueue.node.defaultChild as never),
  };
}

function sendStatements(resources: Record<string, Resource>, queueId: string): Record<string, any>[] {
  const policies = Object.values(resources).filter(
    (r) => r.Type === 'AWS::SQS::QueuePolicy' && r.Properties.Queues.some((q: any) => q.Ref === queueId),
  );
  return policies
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
    .filter((st) => [st.Action].flat().includes('sqs:SendMessage'));
}

describe('given the stack synthesized with context senders', () => {
  it('when the ingest queue policy is read, then SendMessage is allowed to exactly the registered principals and denied to all but them and the API role', () => {
    const { resources, apiRoleId, queueId } = resourcesOf({ stage: 'dev', senders: JSON.stringify(SENDERS) });
    const statements = sendStatements(resources, queueId);
    const allow = statements.filter((st) => st.Effect === 'Allow');
    const deny = statements.filter((st) => st.Effect === 'Deny');
    expect(allow).toHaveLength(1);
    expect([allow[0]!.Principal.AWS].flat().sort()).toEqual([
      'arn:aws:iam::111111111111:role/lgsp-79-sender',
      'arn:aws:iam::222222222222:user/lgsp-01',
      'arn:aws:iam::333333333333:role/ngsp-ops',
    ]);
    expect(deny).toHaveLength(1);
    expect(deny[0]!.Principal).toEqual({ AWS: '*' });
    expect(deny[0]!.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
      'arn:aws:iam::111111111111:role/lgsp-79-sender',
      'arn:aws:iam::222222222222:user/lgsp-01',
      'arn:aws:iam::333333333333:role/ngsp-ops',
      { 'Fn::GetAtt': [apiRoleId, 'Arn'] },
    ]);
  });

  it('when no senders are given, then only the API role may send (nothing is allowed to anyone else)', () => {
    const { resources, apiRoleId, queueId } = resourcesOf({ stage: 'dev' });
    const statements = sendStatements(resources, queueId);
    expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([]);
    const deny = statements.filter((st) => st.Effect === 'Deny');
    expect(deny[0]!.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([{ 'Fn::GetAtt': [apiRoleId, 'Arn'] }]);
  });

  it.each([
    ['not JSON', '{LGSP-79: x}', /context senders must be a JSON object/],
    ['an unknown platform', JSON.stringify({ 'LGSP-XX': ['arn:aws:iam::111111111111:role/x'] }), /"LGSP-XX" is not a platform/],
    ['not an IAM ARN', JSON.stringify({ 'LGSP-79': ['arn:aws:s3:::bucket'] }), /is not an IAM role or user ARN/],
  ])('when context senders is %s, then the synth stops naming it', (_n, value, message) => {
    expect(() => buildApp({ stage: 'dev', senders: value })).toThrow(message);
  });
});

describe('given the stack synthesized', () => {
  const { resources, template } = resourcesOf({ stage: 'dev' });

  it.each(GATEWAY_RESPONSES.map((r) => [r.type.responseType, r] as const))(
    'then the gateway response %s answers the contract error body',
    (type, r) => {
      const found = Object.values(resources).filter(
        (x) => x.Type === 'AWS::ApiGateway::GatewayResponse' && x.Properties.ResponseType === type,
      );
      expect(found).toHaveLength(1);
      const p = found[0]!.Properties;
      if (r.status) expect(p.StatusCode).toBe(String(r.status));
      else expect(p.StatusCode).toBeUndefined();
      expect(p.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json; charset=utf-8'");
      const body = JSON.parse(p.ResponseTemplates['application/json']) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
    },
  );

  it('then the gateway responses cover throttling, size, timeouts, failures, denials and both catch-alls', () => {
    const types = Object.values(resources)
      .filter((x) => x.Type === 'AWS::ApiGateway::GatewayResponse')
      .map((x) => x.Properties.ResponseType as string);
    expect(types).toEqual(
      expect.arrayContaining([
        'DEFAULT_4XX',
        'DEFAULT_5XX',
        'THROTTLED',
        'REQUEST_TOO_LARGE',
        'INTEGRATION_TIMEOUT',
        'INTEGRATION_FAILURE',
        'ACCESS_DENIED',
        'UNAUTHORIZED',
      ]),
    );
    const statuses = Object.fromEntries(
      Object.values(resources)
        .filter((x) => x.Type === 'AWS::ApiGateway::GatewayResponse')
        .map((x) => [x.Properties.ResponseType, x.Properties.StatusCode]),
    );
    expect(statuses).toMatchObject({
      THROTTLED: '429',
      REQUEST_TOO_LARGE: '413',
      INTEGRATION_TIMEOUT: '504',
      ACCESS_DENIED: '403',
      UNAUTHORIZED: '401',
    });
  });

  it('then the keys table expires throttle counters by TTL on ttl', () => {
    const keys = Object.entries(resources)
      .filter(([id, x]) => x.Type === 'AWS::DynamoDB::Table' && id.startsWith('KeysTable'))
      .map(([, x]) => x);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
  });
});
