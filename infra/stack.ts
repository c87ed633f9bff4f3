/**
 * The whole pipeline in one stack, `NgspStats-<stage>`: ingest queue and DLQ, the tables of
 * shared/store/tables.ts, the rollup bucket, one AppFunction per entry of the wiring table with
 * its trigger, the REST API, the Glue/Athena catalog over rollups/, alarms and a dashboard.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Size, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { METRICS, NAMESPACE, type Service } from '#shared/metric-names.ts';
import { PREFIXES } from '#shared/store/bucket.ts';
import { TABLES, type TableDef } from '#shared/store/tables.ts';
import { AppFunction, type Bindables } from './constructs/app-function.ts';
import { DATE_PROJECTION, ROLLUP_TABLES } from './glue-tables.ts';
import { removalPolicyOf, type StageSettings } from './settings.ts';
import { FUNCTIONS, MAX_RECEIVE_COUNT, type FunctionDecl } from './wiring.ts';

export interface NgspStatsStackProps extends StackProps {
  /** Stage settings (infra/settings.ts). */
  settings: StageSettings;
  /** The functions to deploy. @default FUNCTIONS of infra/wiring.ts */
  functions?: readonly FunctionDecl[];
}

/** Visibility timeout of a queue feeding functions: 6x the longest timeout plus the batching window (AWS guidance). */
export function visibilityTimeoutFor(decls: readonly FunctionDecl[], queue: string): Duration {
  const feeders = decls.flatMap((d) => (d.trigger.kind === 'sqs' && d.trigger.queue === queue ? [d] : []));
  const seconds = Math.max(30, ...feeders.map((d) => 6 * d.timeoutSeconds + (d.trigger.kind === 'sqs' ? d.trigger.maxBatchingWindowSeconds : 0)));
  return Duration.seconds(seconds);
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * API Gateway's own responses, shaped as the contract's errors (CONTRACT.md section 3). `status`
 * absent: the gateway's own status is kept (the DEFAULT_4XX/5XX catch-alls).
 */
export const GATEWAY_RESPONSES: readonly { type: apigw.ResponseType; status?: number; code: string; message: string }[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST', message: 'the request was refused by the API gateway' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'UNAVAILABLE', message: 'the API is not available; retry later' },
  { type: apigw.ResponseType.THROTTLED, status: 429, code: 'THROTTLED', message: 'too many requests; retry later' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, status: 429, code: 'THROTTLED', message: 'request quota exceeded; retry later' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  { type: apigw.ResponseType.INTEGRATION_TIMEOUT, status: 504, code: 'TIMEOUT', message: 'the request took too long; retry later (reports are idempotent)' },
  { type: apigw.ResponseType.INTEGRATION_FAILURE, status: 502, code: 'BAD_GATEWAY', message: 'the API function failed or its answer was too large; retry later or ask for less' },
  { type: apigw.ResponseType.ACCESS_DENIED, status: 403, code: 'FORBIDDEN', message: 'access denied' },
  { type: apigw.ResponseType.WAF_FILTERED, status: 403, code: 'FORBIDDEN', message: 'the request was blocked by the web application firewall' },
  { type: apigw.ResponseType.UNAUTHORIZED, status: 401, code: 'UNAUTHORIZED', message: 'a valid API key is required in the x-api-key header' },
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 404, code: 'NOT_FOUND', message: 'no such route' },
  { type: apigw.ResponseType.RESOURCE_NOT_FOUND, status: 404, code: 'NOT_FOUND', message: 'no such route' },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, status: 400, code: 'VALIDATION', message: 'the request body is not valid' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, status: 400, code: 'VALIDATION', message: 'a request parameter is not valid' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' },
];

/** The mapping template of a gateway response: the contract's body, with the gateway's request id. */
export function gatewayErrorTemplate(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, requestId: '$context.requestId' } });
}

export class NgspStatsStack extends Stack {
  readonly functions = new Map<FunctionDecl['name'], AppFunction>();
  readonly tables: Record<TableDef['id'], dynamodb.Table>;
  readonly bucket: s3.Bucket;
  readonly ingestQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  api?: apigw.LambdaRestApi;

  constructor(scope: Construct, id: string, props: NgspStatsStackProps) {
    super(scope, id, { description: `ngsp-stats (${props.settings.stage}): exact per-minute and daily statistics of LGSP data exchanges`, ...props });
    const s = props.settings;
    const decls = props.functions ?? FUNCTIONS;
    const removalPolicy = removalPolicyOf(s);

    // ---- Storage -------------------------------------------------------------------------------
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED, // server access log delivery supports SSE-S3 only
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(s.isProduction ? 365 : 30) }],
      removalPolicy,
      autoDeleteObjects: !s.isProduction,
    });

    this.bucket = new s3.Bucket(this, 'RollupBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'rollup-bucket/',
      lifecycleRules: [
        { id: 'expire-rejected', prefix: PREFIXES.rejected, expiration: Duration.days(s.rejectedRetentionDays) },
        // Re-rolling overwrites keys: old versions only guard against mistakes for a while.
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(s.noncurrentVersionDays), expiredObjectDeleteMarker: true },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy,
      autoDeleteObjects: !s.isProduction,
    });

    this.tables = Object.fromEntries(TABLES.map((def) => [def.id, this.table(def, s, removalPolicy)])) as Record<TableDef['id'], dynamodb.Table>;

    // ---- Queues --------------------------------------------------------------------------------
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14), // an outage of the consumers must not lose reports
      visibilityTimeout: visibilityTimeoutFor(decls, 'ingestQueue'),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // ---- Functions and triggers ----------------------------------------------------------------
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
    if (httpDecls.length > 1) throw new Error(`one REST API proxies to one function; the wiring table has ${httpDecls.length} http functions`);

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
          // A tick that cannot run (still busy, reserved concurrency) is dropped: the next one catches up.
          f.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(Math.max(60, t.everyMinutes * 60)) });
          break;
        }
        case 'http':
          this.api = this.restApi(f, s, removalPolicy);
          break;
      }
    }

    // ---- Who may send to the ingest queue (rule 7): the registered senders and the API ----------
    this.restrictSenders(s);

    // ---- Analytics: Glue catalog and Athena workgroup over rollups/ -----------------------------
    const athenaDatabase = this.analytics(s, removalPolicy, accessLogs);

    // ---- Operations ----------------------------------------------------------------------------
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'ngsp-stats alarm topic encryption (CloudWatch alarms may use it)',
      enableKeyRotation: true,
      removalPolicy,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: topicKey, enforceSSL: true, displayName: `ngsp-stats ${s.stage} alarms` });
    if (s.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(s.alarmEmail));
    this.dashboard = this.operations(s);

    // ---- Outputs (CONTRACT.md section 6, plus what the CLI needs) -------------------------------
    if (this.api) new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (append v1/...)' });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingestQueue.queueUrl, description: 'SQS queue LGSPs send events to' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RollupBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'AthenaDatabase', { value: athenaDatabase.database });
    new CfnOutput(this, 'AthenaWorkGroup', { value: athenaDatabase.workGroup });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
    for (const def of TABLES) new CfnOutput(this, `${def.id}TableName`, { value: this.tables[def.id].tableName });
    for (const [name, f] of this.functions) new CfnOutput(this, `${pascal(name)}FunctionName`, { value: f.fn.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  /**
   * The ingest queue's send policy: `sqs:SendMessage` for exactly the principals of context
   * `senders` and the API function, and denied to every other principal (an identity policy of
   * the account cannot widen it). The ingest function trusts the API's role as a relay (it
   * checked the key's platform itself) by its unique id, the `SenderId` SQS reports.
   */
  private restrictSenders(s: StageSettings): void {
    const api = this.functions.get('api');
    const ingest = this.functions.get('ingest');
    if (api && ingest) ingest.fn.addEnvironment('RELAY_SENDER_IDS', api.role.roleId);
    const arns = [...new Set(s.senders.map((p) => p.arn))];
    if (arns.length) {
      this.ingestQueue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'RegisteredSendersMaySend',
          principals: arns.map((a) => new iam.ArnPrincipal(a)),
          actions: ['sqs:SendMessage'],
          resources: [this.ingestQueue.queueArn],
        }),
      );
    }
    const allowed = [...arns, ...(api ? [api.role.roleArn] : [])];
    this.ingestQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyRegisteredSendersMaySend',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.ingestQueue.queueArn],
        ...(allowed.length ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': allowed } } } : {}),
      }),
    );
  }

  /** A DynamoDB table from its shared definition: on demand, PITR, AWS-managed KMS encryption. */
  private table(def: TableDef, s: StageSettings, removalPolicy: RemovalPolicy): dynamodb.Table {
    const attr = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, `${def.id}Table`, {
      partitionKey: attr(def.partitionKey),
      sortKey: def.sortKey ? attr(def.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: def.ttlAttribute,
      deletionProtection: s.isProduction,
      removalPolicy,
    });
    for (const ix of def.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: ix.name,
        partitionKey: attr(ix.partitionKey),
        sortKey: ix.sortKey ? attr(ix.sortKey) : undefined,
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: ix.include,
      });
    }
    return table;
  }

  /** REST API (v1) proxying every path and method to the http function. */
  private restApi(f: AppFunction, s: StageSettings, removalPolicy: RemovalPolicy): apigw.LambdaRestApi {
    const accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', { retention: s.logRetentionDays, removalPolicy });
    const api = new apigw.LambdaRestApi(this, 'Api', {
      handler: f.fn,
      proxy: true,
      description: `ngsp-stats ${s.stage} API (CONTRACT.md section 3)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      minCompressionSize: Size.kibibytes(1),
      cloudWatchRole: s.apiGatewayCloudWatchRole,
      // The role is account-wide: keep it when this stack goes, other APIs may rely on it.
      cloudWatchRoleRemovalPolicy: s.apiGatewayCloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: s.stage,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false, httpMethod: true, ip: true, protocol: true, requestTime: true,
          resourcePath: true, responseLength: true, status: true, user: false,
        }),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // bodies carry exchange events: never into logs
        metricsEnabled: true,
        throttlingRateLimit: s.apiRateLimit,
        throttlingBurstLimit: s.apiBurstLimit,
      },
    });
    this.gatewayResponses(api);
    const noAuth = 'API keys (x-api-key) are checked by the api function against SHA-256 hashes in the Keys table, with lgsp/analyst/ops roles and a per-LGSP DynamoDB rate counter (CONTRACT.md section 3); GET / and /v1/health are public by contract. A Cognito or IAM authorizer would not fit LGSP machine clients.';
    Validations.of(api.root).acknowledge({ id: 'AwsSolutions-APIG4', reason: noAuth });
    Validations.of(api.root).acknowledge({ id: 'AwsSolutions-COG4', reason: noAuth });
    Validations.of(api.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: 'Proxy integration: the api function validates every request against the event JSON Schema and names the bad field in a 400 (CONTRACT.md section 1); an API Gateway model would duplicate that schema.',
    });
    if (s.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', { resourceArn: api.deploymentStage.stageArn, webAclArn: s.webAclArn });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'No WAF web ACL by default (fixed monthly cost per stage); traffic is limited by stage throttling and per-LGSP limits in the function. Pass -c webAclArn=<regional web ACL ARN> to associate one.',
      });
    }
    if (s.apiGatewayCloudWatchRole) {
      const role = api.node.findChild('CloudWatchRole');
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-wide API Gateway logging role: AWS maintains this service-role policy for exactly this purpose (REST API execution and access logs).',
      });
    }
    return api;
  }

  /**
   * API Gateway's own answers (throttling, bodies it refuses, timeouts, the function's 6 MB
   * limit, ...) in the contract's shape `{"error": {"code", "message"}}` with its status codes.
   */
  private gatewayResponses(api: apigw.RestApi): void {
    for (const r of GATEWAY_RESPONSES) {
      api.addGatewayResponse(`Gateway${r.type.responseType.split('_').map((w) => pascal(w.toLowerCase())).join('')}`, {
        type: r.type,
        ...(r.status ? { statusCode: String(r.status) } : {}),
        responseHeaders: { 'Content-Type': "'application/json; charset=utf-8'", 'Cache-Control': "'no-store'" },
        templates: { 'application/json': gatewayErrorTemplate(r.code, r.message) },
      });
    }
  }

  /** Glue database and tables with partition projection, and an Athena workgroup for analysts. */
  private analytics(s: StageSettings, removalPolicy: RemovalPolicy, accessLogs: s3.Bucket): { database: string; workGroup: string } {
    // Glue and Athena names must be lowercase with underscores: derived from the stack name.
    const databaseName = this.stackName.toLowerCase().replace(/[^a-z0-9]/g, '_');
    const db = new glue.CfnDatabase(this, 'GlueDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: `ngsp-stats ${s.stage} rollups (CONTRACT.md section 2)` },
    });
    for (const t of ROLLUP_TABLES) {
      const root = `s3://${this.bucket.bucketName}/${t.prefix}`;
      const table = new glue.CfnTable(this, `Glue${pascal(t.name.replace(/_(.)/g, (_m, c: string) => c.toUpperCase()))}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName,
        tableInput: {
          name: t.name,
          description: t.description,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [{ name: 'date', type: 'string' }],
          parameters: {
            classification: t.format,
            ...DATE_PROJECTION,
            'storage.location.template': `${root}date=\${date}/`,
            ...t.parameters,
          },
          storageDescriptor: {
            location: root,
            columns: t.columns,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: t.serde,
          },
        },
      });
      table.addResourceDependency(db);
    }

    const results = new s3.Bucket(this, 'AthenaResultsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(30) }],
      removalPolicy,
      autoDeleteObjects: !s.isProduction,
    });
    const workGroupName = `${this.stackName}-analysts`;
    new athena.CfnWorkGroup(this, 'AnalystsWorkGroup', {
      name: workGroupName,
      description: 'Queries over the ngsp-stats rollups; results encrypted, 1 GB scan limit per query',
      recursiveDeleteOption: !s.isProduction,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${results.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    return { database: databaseName, workGroup: workGroupName };
  }

  /** Alarms (to the topic) and the dashboard. */
  private operations(s: StageSettings): cloudwatch.Dashboard {
    const action = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, id, props);
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };
    const five = Duration.minutes(5);

    alarm('DeadLetterQueueNotEmptyAlarm', {
      alarmDescription: 'Messages are in the ingest DLQ: a transient failure outlasted every retry. See docs/operations.md#dlq-not-empty.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('IngestQueueOldestMessageAlarm', {
      alarmDescription: `The oldest ingest message is older than ${s.oldestMessageAlarmSeconds} s: ingest is falling behind. See docs/operations.md#ingest-backlog.`,
      metric: this.ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: s.oldestMessageAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const [name, f] of this.functions) {
      alarm(`${pascal(name)}ErrorsAlarm`, {
        alarmDescription: `The ${name} function fails (errors in 2 of 3 five-minute periods). See docs/operations.md#function-errors.`,
        metric: f.fn.metricErrors({ period: five, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${pascal(name)}ThrottlesAlarm`, {
        alarmDescription: `The ${name} function is throttled (2 of 3 five-minute periods). See docs/operations.md#function-throttles.`,
        metric: f.fn.metricThrottles({ period: five, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    const custom = <S extends Service>(service: S, metricName: keyof (typeof METRICS)[S] & string, statistic = 'Sum', period = Duration.minutes(1)): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { service }, statistic, period });
    const lag = custom('rollup', METRICS.rollup.RollupLagSeconds, 'Maximum', five);
    if (this.functions.has('rollup')) {
      alarm('RollupLagAlarm', {
        alarmDescription: `The newest rolled minute is more than ${s.rollupLagAlarmSeconds} s behind now, or the rollup stopped reporting. See docs/operations.md#rollup-lag.`,
        metric: lag,
        threshold: s.rollupLagAlarmSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        // No datapoint means the scheduled rollup is not running at all: that is lag too.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
    if (this.functions.has('ingest')) {
      alarm('IngestStoreErrorsAlarm', {
        alarmDescription:
          'The ingest function cannot write to its stores for a reason other than the events (access denied, missing table, KMS key, credentials): messages are being delivered again and will reach the DLQ. See docs/operations.md#store-errors.',
        metric: custom('ingest', METRICS.ingest.StoreErrors),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (this.api) {
      alarm('Api5xxAlarm', {
        alarmDescription: 'The API answers 5xx (more than 5 in each of 2 five-minute periods). See docs/operations.md#api-5xx.',
        metric: this.api.metricServerError({ period: five, statistic: 'Sum' }),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
      new cloudwatch.GraphWidget({
        title: 'Ingest: reports per minute',
        left: Object.values(METRICS.ingest).map((m) => custom('ingest', m)),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest queue',
        left: [
          this.ingestQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), label: 'DLQ visible' }),
        ],
        right: [this.ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Rollup',
        left: [lag],
        right: [custom('rollup', METRICS.rollup.MinutesRolled), custom('rollup', METRICS.rollup.DaysRolled)],
        leftAnnotations: [{ value: s.rollupLagAlarmSeconds, label: 'lag alarm' }],
        width: 12,
      }),
      ...[...this.functions.values()].map(
        (f) =>
          new cloudwatch.GraphWidget({
            title: `${f.decl.name} function`,
            left: [f.fn.metricInvocations({ period: five }), f.fn.metricErrors({ period: five }), f.fn.metricThrottles({ period: five })],
            right: [f.fn.metricDuration({ period: five, statistic: 'p95' })],
            width: 12,
          }),
      ),
    );
    if (this.api) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'API',
          left: [this.api.metricCount({ period: five }), this.api.metricClientError({ period: five }), this.api.metricServerError({ period: five })],
          right: [this.api.metricLatency({ period: five, statistic: 'p95' })],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'API function: requests and events',
          left: Object.values(METRICS.api).map((m) => custom('api', m)),
          width: 12,
        }),
      );
    }
    return dashboard;
  }
}
