/**
 * The production stack, checked on the synthesized template (bundling skipped): every function
 * of the wiring table is wired as declared, grants are least-privilege, queues, tables and
 * buckets are safe, the Glue tables match the S3 keys of CONTRACT.md section 2, and the
 * outputs of section 6 exist.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_ENV_KEYS, REPO_ROOT, TABLE_ACTIONS } from '#infra/constructs/app-function.ts';
import { ROLLUP_TABLES } from '#infra/glue-tables.ts';
import { MAX_RECEIVE_COUNT, RESOURCE_ENV, type FunctionDecl } from '#infra/wiring.ts';
import { keys } from '#shared/store/bucket.ts';
import { DAY_ROW_COLUMNS } from '#shared/stats/period.ts';
import { SYSTEMS_ROW_COLUMNS } from '#shared/stats/systems.ts';
import { BUDGET, WIRED } from '#shared/cost/budget.ts';
import { CUSTOM_METRICS, METRICS, NAMESPACE } from '#shared/metric-names.ts';
import { FUNCTIONS, PIPELINE } from '#infra/wiring.ts';
import { TABLES } from '#shared/store/tables.ts';
import { buildApp, wiringUnderTest, type Built } from './app.ts';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
const DECLS = wiringUnderTest();

let dev: Built;
let template: Template;
let resources: Record<string, Resource>;

/** The logical id of the Lambda function of a declaration. */
function functionId(decl: FunctionDecl): string {
  const f = dev.stack.functions.get(decl.name)!;
  return dev.stack.getLogicalId(f.fn.node.defaultChild as never);
}

/** Exported names of a TypeScript module, read from its syntax tree (importing would run its cold start). */
function exportedNames(file: string): Set<string> {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const isExported = (n: ts.Node): boolean =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of src.statements) {
    if (ts.isVariableStatement(st) && isExported(st))
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && isExported(st) && st.name) names.add(st.name.text);
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause))
      for (const e of st.exportClause.elements) names.add(e.name.text);
  }
  return names;
}

/** Joins an Fn::Join of strings and Refs into one string, Refs shown as `<LogicalId>`. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(joined).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}

beforeAll(() => {
  dev = buildApp({ stage: 'dev' });
  template = Template.fromStack(dev.stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('given the wiring table, when the stack is synthesized', () => {
  it.each(DECLS.map((d) => [d.name, d] as const))('then the %s function runs its entry handler on nodejs22.x ARM64', (_name, decl) => {
    const entry = path.join(REPO_ROOT, decl.entry);
    expect(exportedNames(entry)).toContain(decl.handler);
    const fn = resources[functionId(decl)]!;
    expect(fn.Properties.Handler).toBe(`index.${decl.handler}`);
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Timeout).toBe(decl.timeoutSeconds);
    expect(fn.Properties.MemorySize).toBe(decl.memoryMb);
  });

  it('then no function reserves concurrency (a new account must keep 10 unreserved; the rollup keeps one runner by a lease)', () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThanOrEqual(DECLS.length);
    for (const fn of fns) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    // The lease is renewed every third of its length: it must leave room for a few heartbeats.
    const rollup = DECLS.find((d) => d.name === 'rollup')!;
    expect(Number(rollup.settings.LEASE_SECONDS)).toBeGreaterThanOrEqual(6);
  });

  it.each(DECLS.map((d) => [d.name, d] as const))(
    'then the %s function sees exactly its bindings, settings and Powertools variables',
    (_name, decl) => {
      const env = resources[functionId(decl)]!.Properties.Environment.Variables as Record<string, unknown>;
      const expected = [...PLATFORM_ENV_KEYS, ...Object.keys(decl.settings), ...decl.binds.map((b) => RESOURCE_ENV[b.resource])];
      expect(Object.keys(env).sort()).toEqual([...new Set(expected)].sort());
      expect(env.POWERTOOLS_SERVICE_NAME).toBe(decl.name);
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('NgspStats');
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
      for (const [k, v] of Object.entries(decl.settings)) {
        // The stack sets the API function's role id: the one relay the ingest trusts (rule 7).
        if (k === 'RELAY_SENDER_IDS')
          expect(env[k]).toEqual({
            'Fn::GetAtt': [dev.stack.getLogicalId(dev.stack.functions.get('api')!.role.node.defaultChild as never), 'RoleId'],
          });
        // The stack sets the alarm topic's ARN: where the rollup publishes exchange-health alerts.
        else if (k === 'ALERT_TOPIC_ARN')
          expect(env[k]).toEqual({ Ref: dev.stack.getLogicalId(dev.stack.alarmTopic.node.defaultChild as never) });
        else expect(env[k]).toBe(v);
      }
    },
  );

  it.each(DECLS.map((d) => [d.name, d] as const))('then the %s role grants only what its bindings declare', (_name, decl) => {
    const f = dev.stack.functions.get(decl.name)!;
    const roleId = dev.stack.getLogicalId(f.role.node.defaultChild as never);
    const policies = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === roleId),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const text = JSON.stringify(statements);
    // Tables: only the bound ones.
    for (const def of TABLES) {
      const bound = decl.binds.some((b) => b.resource === `${def.id.toLowerCase()}Table`);
      const tableId = dev.stack.getLogicalId(dev.stack.tables[def.id].node.defaultChild as never);
      expect(text.includes(tableId), `${decl.name} ${def.id}`).toBe(bound);
    }
    // Bucket objects: only the declared prefixes.
    const objectArns = statements
      .flatMap((s) => [s.Resource].flat())
      .map(joined)
      .filter((r) => r.includes('RollupBucket') && r.includes('/'));
    const prefixes = decl.binds.flatMap((b) => (b.resource === 'bucket' ? (b.prefixes ?? []) : []));
    for (const arn of objectArns)
      expect(
        prefixes.some((p) => arn.endsWith(`/${p}*`)),
        arn,
      ).toBe(true);
    // The sqs trigger's queue is consumed, not more.
    const actions = statements.flatMap((s) => [s.Action].flat());
    if (decl.trigger.kind === 'sqs') expect(actions).toContain('sqs:DeleteMessage');
    if (!decl.binds.some((b) => b.resource === 'ingestQueue' && b.access === 'send')) expect(actions).not.toContain('sqs:SendMessage');
    // Only the rollup publishes (exchange-health alerts), and only to the alarm topic.
    const publish = statements.filter((s) => [s.Action].flat().includes('sns:Publish'));
    if (decl.name === 'rollup')
      expect(publish.map((s) => s.Resource)).toEqual([{ Ref: dev.stack.getLogicalId(dev.stack.alarmTopic.node.defaultChild as never) }]);
    else expect(publish).toEqual([]);
  });

  it('then no IAM policy has a wildcard action, nor a data action on every resource', () => {
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      const actions = [s.Action].flat();
      for (const a of actions) expect(a === '*' || /:\*$/.test(a), a).toBe(false);
      const data = actions.some((a) => /^(dynamodb|s3|sqs|kms):/.test(a));
      if (data) expect([s.Resource].flat(), JSON.stringify(s)).not.toContain('*');
    }
    // Table grants use explicit action lists, never a prefix wildcard such as dynamodb:Batch*.
    const tableActions = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('dynamodb:'));
    for (const a of tableActions) expect([...TABLE_ACTIONS.read, ...TABLE_ACTIONS.write]).toContain(a);
  });

  it('then the ingest and API functions may only read the Keys table beyond their own writes: the ingest cannot change the platforms registry', () => {
    // Issue 16: the platforms registry (P#platforms) lives in the Keys table; operators write it with their own credentials.
    const keysTable = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::DynamoDB::Table' && /Keys/.test(id))![0];
    const actionsOn = (fn: FunctionDecl['name']): string[] => {
      const role = dev.stack.getLogicalId(dev.stack.functions.get(fn)!.role.node.defaultChild as never);
      return Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Resource).includes(keysTable))
        .flatMap((st) => [st.Action].flat());
    };
    const ingest = actionsOn('ingest');
    expect(ingest).toContain('dynamodb:GetItem');
    for (const a of ingest) expect(TABLE_ACTIONS.read as readonly string[], a).toContain(a);
    expect(actionsOn('api')).toContain('dynamodb:GetItem');
  });

  it('then the sqs functions consume with partial batch responses, batching window and max concurrency', () => {
    for (const decl of DECLS) {
      if (decl.trigger.kind !== 'sqs') continue;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId(decl) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: decl.trigger.batchSize,
        MaximumBatchingWindowInSeconds: decl.trigger.maxBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: decl.trigger.maxConcurrency },
      });
    }
  });

  it('then the ingest queue hides a message for 6x the consumer timeout and dead-letters after MAX_RECEIVE_COUNT receives', () => {
    const queue = resources[dev.stack.getLogicalId(dev.stack.ingestQueue.node.defaultChild as never)]!;
    const consumers = DECLS.filter((d) => d.trigger.kind === 'sqs');
    expect(consumers.length).toBeGreaterThan(0);
    for (const d of consumers) expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * d.timeoutSeconds);
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    expect(MAX_RECEIVE_COUNT).toBeGreaterThanOrEqual(5);
    for (const q of Object.values(resources).filter((r) => r.Type === 'AWS::SQS::Queue'))
      expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    // Both queues refuse non-TLS requests.
    const denies = Object.values(resources)
      .filter((r) => r.Type === 'AWS::SQS::QueuePolicy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[])
      .filter((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"'));
    expect(denies).toHaveLength(2);
  });

  it('then every table of shared/store/tables.ts is on demand, encrypted, with PITR, and Events expire by TTL', () => {
    for (const def of TABLES) {
      const t = resources[dev.stack.getLogicalId(dev.stack.tables[def.id].node.defaultChild as never)]!.Properties;
      expect(t.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.SSESpecification.SSEEnabled).toBe(true);
      expect(t.KeySchema[0]).toEqual({ AttributeName: def.partitionKey, KeyType: 'HASH' });
      if (def.ttlAttribute) expect(t.TimeToLiveSpecification).toEqual({ AttributeName: def.ttlAttribute, Enabled: true });
      for (const ix of def.indexes) {
        expect(t.GlobalSecondaryIndexes).toContainEqual({
          IndexName: ix.name,
          KeySchema: [{ AttributeName: ix.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ix.include },
        });
      }
    }
  });

  it('then every bucket blocks public access, is encrypted and denies non-TLS requests', () => {
    const buckets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.length).toBe(3);
    for (const [id, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBeDefined();
      const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === id)!;
      const statements = policy.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[];
      expect(
        statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"')),
        id,
      ).toBe(true);
    }
    const rollup = resources[dev.stack.getLogicalId(dev.stack.bucket.node.defaultChild as never)]!.Properties;
    expect(rollup.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(rollup.LoggingConfiguration.DestinationBucketName).toBeDefined();
    expect(rollup.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Prefix: 'rejected/', ExpirationInDays: 400, Status: 'Enabled' }),
    );
    expect(rollup.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    );
  });

  it('then each scheduled function has its EventBridge rate rule', () => {
    for (const decl of DECLS) {
      if (decl.trigger.kind !== 'schedule') continue;
      const n = decl.trigger.everyMinutes;
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: `rate(${n} minute${n === 1 ? '' : 's'})`,
        State: 'ENABLED',
        Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(decl), 'Arn'] } })]),
      });
    }
  });

  it('then the REST API proxies every path and method, with access logs, throttling and execution logs', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    expect(methods).toHaveLength(2);
    for (const m of methods) {
      expect(m.Properties.HttpMethod).toBe('ANY');
      expect(m.Properties.AuthorizationType).toBe('NONE'); // keys are checked by the function
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
    }
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 }),
      ],
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('then the Glue tables project `date` onto the exact folders of CONTRACT.md section 2', () => {
    const day = '2024-05-01';
    const expectedFile: Record<string, string> = {
      minute_rollups: keys.minute(`${day}T13:45`),
      daily_rollups: keys.dailyJsonl(day),
      daily_rollups_csv: keys.dailyCsv(day),
      daily_summaries: keys.summary(day),
      daily_systems: keys.systemsJsonl(day),
      daily_systems_csv: keys.systemsCsv(day),
      raw_archive: keys.archive(`${day}T13:45`),
    };
    const tables = Object.values(resources).filter((r) => r.Type === 'AWS::Glue::Table');
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(Object.keys(expectedFile).sort());
    const bucketId = dev.stack.getLogicalId(dev.stack.bucket.node.defaultChild as never);
    for (const t of tables) {
      const input = t.Properties.TableInput;
      const p = input.Parameters;
      expect(p).toMatchObject({
        'projection.enabled': 'true',
        'projection.date.type': 'date',
        'projection.date.format': 'yyyy-MM-dd',
        // Backfills before 2019; today's ICT date from 00:00 ICT (Athena's NOW is UTC).
        'projection.date.range': '2000-01-01,NOW+7HOURS',
      });
      expect(input.PartitionKeys).toEqual([{ Name: 'date', Type: 'string' }]);
      const template = joined(p['storage.location.template']);
      const file = expectedFile[input.Name]!;
      // The partition folder is exactly the folder the rollup writes that day's object into.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Glue's storage.location.template placeholder, not a JS template
      expect(template.replace('${date}', day)).toBe(`s3://<${bucketId}>/${path.posix.dirname(file)}/`);
      expect(joined(input.StorageDescriptor.Location)).toBe(
        `s3://<${bucketId}>/${ROLLUP_TABLES.find((x) => x.name === input.Name)!.prefix}`,
      );
    }
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('then the row tables have the columns the rollup writes, in its order (day rows, systems rows 1.1)', () => {
    const columnsOf = (name: string): { Name: string; Type: string }[] =>
      Object.values(resources).find((r) => r.Type === 'AWS::Glue::Table' && r.Properties.TableInput.Name === name)!.Properties.TableInput
        .StorageDescriptor.Columns;
    const lower = (cs: readonly string[]): string[] => cs.map((c) => c.toLowerCase());
    expect(columnsOf('daily_rollups').map((c) => c.Name)).toEqual(lower(DAY_ROW_COLUMNS));
    expect(columnsOf('daily_rollups_csv').map((c) => c.Name)).toEqual(lower(DAY_ROW_COLUMNS));
    expect(columnsOf('daily_systems').map((c) => c.Name)).toEqual(lower(SYSTEMS_ROW_COLUMNS));
    expect(columnsOf('daily_systems_csv').map((c) => c.Name)).toEqual(lower(SYSTEMS_ROW_COLUMNS));
    // JSON lines: counts are bigint, the platforms a list; CSV: all strings (the list joined by spaces).
    expect(columnsOf('daily_systems').find((c) => c.Name === 'reportingplatforms')?.Type).toBe('array<string>');
    expect(columnsOf('daily_systems').find((c) => c.Name === 'failedunspecified')?.Type).toBe('bigint');
    expect(new Set(columnsOf('daily_systems_csv').map((c) => c.Type))).toEqual(new Set(['string']));
  });

  it('then alarms watch the DLQ, the queue age, every function and the rollup lag, into an encrypted topic', () => {
    const alarms = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((a) => a.Properties);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(byMetric('ApproximateAgeOfOldestMessage')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(DECLS.length);
    expect(byMetric('Throttles')).toHaveLength(DECLS.length);
    expect(byMetric(METRICS.rollup.RollupLagSeconds)).toEqual([
      expect.objectContaining({ Namespace: NAMESPACE, Dimensions: [{ Name: 'service', Value: 'rollup' }], TreatMissingData: 'breaching' }),
    ]);
    expect(byMetric(METRICS.rollup.PeriodsQuarantined)).toEqual([
      expect.objectContaining({ Namespace: NAMESPACE, Dimensions: [{ Name: 'service', Value: 'rollup' }], Threshold: 0 }),
    ]);
    expect(byMetric(METRICS.ingest.StoreErrors)).toEqual([
      expect.objectContaining({ Namespace: NAMESPACE, Dimensions: [{ Name: 'service', Value: 'ingest' }], Threshold: 0 }),
    ]);
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    // The cost estimate counts what the stack makes.
    expect(alarms).toHaveLength(BUDGET.cloudwatch.alarms);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('then the cost budget counts the alarms and custom metrics the template makes and shows', () => {
    const alarms = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((a) => a.Properties);
    // Custom metrics: those the alarms watch and the dashboard draws, read from the template.
    const seen = new Set<string>();
    for (const a of alarms) if (a.Namespace === NAMESPACE) seen.add(`${a.Dimensions[0].Value}/${a.MetricName}`);
    const [dashboard] = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    // The body is an Fn::Join of JSON text and tokens (ARNs, the region): tokens become plain text.
    const parts = (dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'token')).join('')) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    for (const w of body.widgets) {
      for (const m of w.properties.metrics ?? []) {
        if (m[0] !== NAMESPACE) continue;
        const service = m[m.indexOf('service') + 1];
        seen.add(`${String(service)}/${String(m[1])}`);
      }
    }
    expect([...seen].sort()).toEqual(CUSTOM_METRICS.map((c) => `${c.service}/${c.name}`).sort());
    expect(seen.size).toBe(BUDGET.cloudwatch.customMetrics);
    expect(alarms.length).toBe(BUDGET.cloudwatch.alarms);
    expect(BUDGET.cloudwatch.dashboards).toBe(Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard').length);
  });

  it('then the outputs of CONTRACT.md section 6 and the CLI extras exist', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    for (const name of ['ApiUrl', 'IngestQueueUrl', 'DeadLetterQueueUrl', 'RollupBucketName', 'AthenaDatabase', 'DashboardUrl'])
      expect(outputs).toContain(name);
    for (const name of ['EventsTableName', 'StatsTableName', 'KeysTableName', 'RollupFunctionName', 'Region'])
      expect(outputs).toContain(name);
  });

  it('then CDK itself reports no errors or warnings', () => {
    expect(Annotations.fromStack(dev.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(dev.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('then no resource has a hard-coded physical name (other than the Glue/Athena names derived from the stack name)', () => {
    const named = Object.entries(resources).filter(([, r]) =>
      ['TableName', 'BucketName', 'QueueName', 'FunctionName', 'TopicName', 'RoleName', 'LogGroupName', 'DashboardName'].some(
        (k) => typeof r.Properties?.[k] === 'string',
      ),
    );
    expect(named.map(([id]) => id)).toEqual([]);
  });
});

describe('given stage settings from context', () => {
  it('when stage=prod, then data is retained, tables are protected and the email is subscribed', () => {
    const prod = buildApp({ stage: 'prod', alarmEmail: 'ops@example.org' });
    const t = Template.fromStack(prod.stack);
    expect(prod.stack.stackName).toBe('NgspStats-prod');
    const res = t.toJSON().Resources as Record<string, Resource>;
    for (const r of Object.values(res).filter((x) =>
      ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'].includes(x.Type),
    )) {
      expect(r.DeletionPolicy, r.Type).toBe('Retain');
    }
    t.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'INFO' }) } });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('when stage=dev, then data stores are deleted with the stack', () => {
    for (const r of Object.values(resources).filter((x) => ['AWS::DynamoDB::Table', 'AWS::S3::Bucket'].includes(x.Type)))
      expect(r.DeletionPolicy).toBe('Delete');
  });

  it('then the cost budget uses the memory and hot window of the wiring table', () => {
    const memory = Object.fromEntries(FUNCTIONS.map((f) => [f.name, f.memoryMb]));
    expect(WIRED).toEqual({ memoryMb: memory, hotDays: PIPELINE.hotDays });
  });

  it('when hotDays is given, then the hot window of ingest and rollup follows it', () => {
    const { stack } = buildApp({ stage: 'dev', hotDays: '3' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HOT_DAYS: '3', POWERTOOLS_SERVICE_NAME: 'ingest' }) },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HOT_DAYS: '3', POWERTOOLS_SERVICE_NAME: 'rollup' }) },
    });
  });

  it('when a context value is malformed, then the synth stops naming the key', () => {
    expect(() => buildApp({ logRetentionDays: '17' })).toThrow(/logRetentionDays/);
    expect(() => buildApp({ alarmEmail: 'not-an-email' })).toThrow(/alarmEmail/);
    expect(() => buildApp({ stage: 'Prod!' })).toThrow(/stage/);
  });
});
