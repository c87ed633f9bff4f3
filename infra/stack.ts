/**
 * The whole pipeline in one stack, `NgspStats-<stage>`, put together from its sections
 * (infra/constructs/): storage (the tables of shared/store/tables.ts and the rollup bucket), the
 * ingest queue and its DLQ, one AppFunction per entry of the wiring table with its trigger, the
 * REST API, analytics (the Glue/Athena catalog over rollups/) and monitoring (alarms and a
 * dashboard). Sections do not enter logical IDs: moving a resource between them replaces nothing.
 */
import { Aws, CfnOutput, Duration, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLES, type TableDef } from '#shared/store/tables.ts';
import { Analytics } from './constructs/analytics.ts';
import { Api } from './constructs/api.ts';
import { AppFunction, type Bindables } from './constructs/app-function.ts';
import { IngestQueue } from './constructs/ingest-queue.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { logicalIdOutsideSections, pascal } from './constructs/section.ts';
import { Storage } from './constructs/storage.ts';
import { removalPolicyOf, type StageSettings } from './settings.ts';
import { FUNCTIONS, type FunctionDecl } from './wiring.ts';

export { GATEWAY_RESPONSES, gatewayErrorTemplate } from './constructs/api.ts';
export { visibilityTimeoutFor } from './constructs/ingest-queue.ts';

export interface NgspStatsStackProps extends StackProps {
  /** Stage settings (infra/settings.ts). */
  settings: StageSettings;
  /** The functions to deploy. @default FUNCTIONS of infra/wiring.ts */
  functions?: readonly FunctionDecl[];
}

export class NgspStatsStack extends Stack {
  readonly functions = new Map<FunctionDecl['name'], AppFunction>();
  readonly storage: Storage;
  readonly queues: IngestQueue;
  readonly analytics: Analytics;
  readonly monitoring: Monitoring;
  api?: apigw.LambdaRestApi;

  constructor(scope: Construct, id: string, props: NgspStatsStackProps) {
    super(scope, id, {
      description: `ngsp-stats (${props.settings.stage}): exact per-minute and daily statistics of LGSP data exchanges`,
      ...props,
    });
    const s = props.settings;
    const decls = props.functions ?? FUNCTIONS;
    const removalPolicy = removalPolicyOf(s);

    this.storage = new Storage(this, 'Storage', { settings: s, removalPolicy });
    this.queues = new IngestQueue(this, 'Queues', { functions: decls });
    this.wireFunctions(decls, s, removalPolicy);

    // Who may send to the ingest queue (rule 7): the registered senders and the API, which the
    // ingest trusts as a relay by its role's unique id (the SenderId SQS reports).
    const api = this.functions.get('api');
    const ingest = this.functions.get('ingest');
    if (api && ingest) ingest.fn.addEnvironment('RELAY_SENDER_IDS', api.role.roleId);
    this.queues.restrictSenders(s.senders, api?.role);

    this.analytics = new Analytics(this, 'Analytics', {
      bucket: this.bucket,
      accessLogs: this.storage.accessLogs,
      settings: s,
      removalPolicy,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings: s,
      functions: this.functions,
      queues: this.queues,
      api: this.api,
      removalPolicy,
    });
    // Exchange-health alerts (shared/alerts.ts) go to the alarm topic: the rollup may publish there,
    // nowhere else, and use the topic's key for that (explicit actions: no kms:GenerateDataKey*).
    const rollup = this.functions.get('rollup');
    if (rollup) {
      rollup.fn.addEnvironment('ALERT_TOPIC_ARN', this.alarmTopic.topicArn);
      rollup.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alarmTopic.topicArn] }));
      const key = this.alarmTopic.masterKey;
      if (key)
        rollup.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
        );
    }
    this.outputs();
  }

  get tables(): Record<TableDef['id'], dynamodb.Table> {
    return this.storage.tables;
  }
  get bucket(): s3.Bucket {
    return this.storage.bucket;
  }
  get ingestQueue(): sqs.Queue {
    return this.queues.ingestQueue;
  }
  get deadLetterQueue(): sqs.Queue {
    return this.queues.deadLetterQueue;
  }
  get alarmTopic(): sns.Topic {
    return this.monitoring.alarmTopic;
  }
  get dashboard(): cloudwatch.Dashboard {
    return this.monitoring.dashboard;
  }
  get alarms(): cloudwatch.Alarm[] {
    return this.monitoring.alarms;
  }

  /** Logical IDs as if the sections were not there (infra/constructs/section.ts). */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdOutsideSections(this, element);
  }

  /** One AppFunction per declaration of the wiring table, with its trigger. */
  private wireFunctions(decls: readonly FunctionDecl[], s: StageSettings, removalPolicy: ReturnType<typeof removalPolicyOf>): void {
    const bindables: Bindables = {
      eventsTable: { table: this.tables.Events, def: TABLES.find((t) => t.id === 'Events')! },
      statsTable: { table: this.tables.Stats, def: TABLES.find((t) => t.id === 'Stats')! },
      keysTable: { table: this.tables.Keys, def: TABLES.find((t) => t.id === 'Keys')! },
      bucket: this.bucket,
      ingestQueue: this.ingestQueue,
      deadLetterQueue: this.deadLetterQueue,
    };
    const queues = { ingestQueue: this.ingestQueue } as const;
    const httpDecls = decls.filter((d) => d.trigger.kind === 'http');
    if (httpDecls.length > 1)
      throw new Error(`one REST API proxies to one function; the wiring table has ${httpDecls.length} http functions`);

    for (const decl of decls) {
      const overrides: Record<string, string> = {};
      if (s.hotDays !== undefined && 'HOT_DAYS' in decl.settings) overrides.HOT_DAYS = String(s.hotDays);
      const f = new AppFunction(this, `${pascal(decl.name)}Fn`, {
        decl,
        resources: bindables,
        logLevel: s.logLevel,
        logRetention: s.logRetentionDays,
        removalPolicy,
        settingOverrides: overrides,
      });
      this.functions.set(decl.name, f);
      const t = decl.trigger;
      switch (t.kind) {
        case 'sqs':
          f.fn.addEventSource(
            new SqsEventSource(queues[t.queue], {
              batchSize: t.batchSize,
              maxBatchingWindow: Duration.seconds(t.maxBatchingWindowSeconds),
              maxConcurrency: t.maxConcurrency,
              reportBatchItemFailures: true,
            }),
          );
          break;
        case 'schedule': {
          new events.Rule(this, `${pascal(decl.name)}Schedule`, {
            description: `Runs ${decl.name} every ${t.everyMinutes} minute(s)`,
            schedule: events.Schedule.rate(Duration.minutes(t.everyMinutes)),
            targets: [new targets.LambdaFunction(f.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(Math.max(1, t.everyMinutes)) })],
          });
          // A tick is never retried: one that finds the rollup lease held exits at once, the next catches up.
          f.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(Math.max(60, t.everyMinutes * 60)) });
          break;
        }
        case 'http':
          this.api = new Api(this, 'Http', { handler: f.fn, settings: s, removalPolicy }).restApi;
          break;
      }
    }
  }

  /** Outputs: CONTRACT.md section 6, plus what the CLI needs. */
  private outputs(): void {
    if (this.api) new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (append v1/...)' });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingestQueue.queueUrl, description: 'SQS queue LGSPs send events to' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RollupBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'AthenaDatabase', { value: this.analytics.database });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
    for (const def of TABLES) new CfnOutput(this, `${def.id}TableName`, { value: this.tables[def.id].tableName });
    for (const [name, f] of this.functions) new CfnOutput(this, `${pascal(name)}FunctionName`, { value: f.fn.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
