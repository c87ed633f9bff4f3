/**
 * AppFunction: one function of the wiring table (infra/wiring.ts) as a Lambda function — bundled
 * with esbuild, its own log group and role, and for each binding the environment variable and
 * the least-privilege grant set together ("bind, don't hand-wire").
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TableDef } from '#shared/store/tables.ts';
import { NAMESPACE } from '#shared/observability.ts';
import { RESOURCE_ENV, type Access, type Binding, type FunctionDecl, type ResourceName } from '../wiring.ts';

/** Repository root: entries in the wiring table are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Lambda runtime every function runs on (pinned; see docs/architecture.md). */
export const RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Environment every function gets besides its bindings and settings. */
export const PLATFORM_ENV_KEYS = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
] as const;

/** DynamoDB actions per access level: explicit lists, never `dynamodb:*`. */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
  write: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
  ],
} as const;

/** S3 actions per access level, on the declared prefixes only. */
export const OBJECT_ACTIONS = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject', 's3:AbortMultipartUpload'],
} as const;

/** A bound table: the construct and its definition (for its index ARNs). */
export interface BoundTable {
  table: ITable;
  def: TableDef;
}

/** The resources a function can bind, by their wiring-table names. */
export interface Bindables {
  eventsTable: BoundTable;
  statsTable: BoundTable;
  keysTable: BoundTable;
  bucket: IBucket;
  ingestQueue: IQueue;
  deadLetterQueue: IQueue;
}

export interface AppFunctionProps {
  /** The function's declaration in the wiring table. */
  decl: FunctionDecl;
  /** Resources its bindings refer to. */
  resources: Bindables;
  /** Powertools log level (`DEBUG`, `INFO`, `WARN`, `ERROR`). @default 'INFO' */
  logLevel?: string;
  /** Log group retention. @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
  /** Overrides of the declared settings (same keys only). @default none */
  settingOverrides?: Record<string, string>;
}

const has = (access: Access, level: 'read' | 'write'): boolean =>
  access === 'readWrite' || access === level || (level === 'read' && access === 'consume') || (level === 'write' && access === 'send');

export class AppFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly decl: FunctionDecl;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const { decl } = props;
    this.decl = decl;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: log writes limited to this log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ngsp-stats ${decl.name} function`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );

    for (const key of Object.keys(props.settingOverrides ?? {})) {
      if (!(key in decl.settings)) throw new Error(`setting override ${key} is not a setting of ${decl.name}`);
    }
    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: decl.name,
      POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      ...decl.settings,
      ...props.settingOverrides,
    };
    for (const b of decl.binds) environment[RESOURCE_ENV[b.resource]] = this.bind(b, props.resources);

    this.fn = new NodejsFunction(this, 'Function', {
      description: decl.description,
      entry: path.join(REPO_ROOT, decl.entry),
      handler: decl.handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: decl.memoryMb,
      timeout: Duration.seconds(decl.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      environment,
      bundling: {
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require(): give the ESM bundle one.
        banner: "import { createRequire as __ngspCreateRequire } from 'node:module'; const require = __ngspCreateRequire(import.meta.url);",
        // The Node.js 22 runtime ships AWS SDK v3: keeps bundles small. @datadog/sketches-js
        // require()s protobufjs lazily, only for its protobuf encoding, which we never use.
        externalModules: ['@aws-sdk/*', 'protobufjs/minimal'],
        tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
        ...(decl.bundleFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  decl.bundleFiles!.map((f) => `cp "${path.join(inputDir, f)}" "${outputDir}/"`),
              },
            }
          : {}),
      },
    });

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `Runtime pinned to ${RUNTIME.name} on purpose (Node 22 LTS, supported by Lambda into 2027): the code is tested on Node 20 and 22; moving to 24.x is a deliberate, tested change, not a side effect of a CDK upgrade.`,
    });
  }

  /** Grants the binding's access and returns the value its environment variable carries. */
  private bind(b: Binding, r: Bindables): string {
    switch (b.resource) {
      case 'eventsTable':
      case 'statsTable':
      case 'keysTable':
        this.bindTable(r[b.resource], b.access);
        return r[b.resource].table.tableName;
      case 'bucket':
        this.bindBucket(r.bucket, b);
        return r.bucket.bucketName;
      case 'ingestQueue':
      case 'deadLetterQueue':
        this.bindQueue(r[b.resource], b.access, b.resource);
        return r[b.resource].queueUrl;
    }
  }

  private bindTable({ table, def }: BoundTable, access: Access): void {
    if (access === 'send' || access === 'consume') throw new Error(`${this.decl.name}: a table cannot be bound with access ${access}`);
    const indexArns = def.indexes.map((i) => `${table.tableArn}/index/${i.name}`);
    if (has(access, 'read')) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...TABLE_ACTIONS.read], resources: [table.tableArn, ...indexArns] }),
      );
    }
    if (has(access, 'write')) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...TABLE_ACTIONS.write], resources: [table.tableArn] }));
    }
  }

  private bindBucket(bucket: IBucket, b: Binding): void {
    const prefixes = b.prefixes ?? [];
    if (!prefixes.length) throw new Error(`${this.decl.name}: a bucket binding must declare the key prefixes it may use`);
    if (b.access === 'send' || b.access === 'consume')
      throw new Error(`${this.decl.name}: a bucket cannot be bound with access ${b.access}`);
    const objects = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
    if (has(b.access, 'read')) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...OBJECT_ACTIONS.read], resources: objects }));
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
        }),
      );
    }
    if (has(b.access, 'write')) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...OBJECT_ACTIONS.write], resources: objects }));
    }
    // cdk-nag reports each object ARN with a wildcard; acknowledge exactly those, with the prefix.
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnBucket);
    for (const p of prefixes) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}*]`,
        reason: `The ${this.decl.name} function works on every object under ${p} (keys are per date and id, CONTRACT.md section 2); the grant is limited to that prefix of this bucket.`,
      });
    }
  }

  private bindQueue(queue: IQueue, access: Access, name: ResourceName): void {
    if (access === 'send' || access === 'write' || access === 'readWrite') queue.grantSendMessages(this.role);
    if (access === 'consume' || access === 'read' || access === 'readWrite') queue.grantConsumeMessages(this.role);
    if (!['send', 'consume', 'read', 'write', 'readWrite'].includes(access))
      throw new Error(`${this.decl.name}: bad access ${access} to ${name}`);
  }
}
