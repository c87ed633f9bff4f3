/**
 * Analytics without a crawler: the Glue database and tables over rollups/ and archive/ (partition
 * projection on `date`, infra/glue-tables.ts), and an Athena workgroup for analysts with its
 * results bucket.
 */
import { Aws, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DATE_PROJECTION, ROLLUP_TABLES } from '../glue-tables.ts';
import type { StageSettings } from '../settings.ts';
import { pascal, Section } from './section.ts';

export interface AnalyticsProps {
  bucket: s3.IBucket;
  accessLogs: s3.IBucket;
  settings: StageSettings;
  removalPolicy: RemovalPolicy;
}

export class Analytics extends Section {
  /** The Glue database (lowercase, derived from the stack name). */
  readonly database: string;
  readonly workGroup: string;

  constructor(scope: Construct, id: string, { bucket, accessLogs, settings: s, removalPolicy }: AnalyticsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    // Glue and Athena names must be lowercase with underscores: derived from the stack name.
    const databaseName = stackName.toLowerCase().replace(/[^a-z0-9]/g, '_');
    const db = new glue.CfnDatabase(this, 'GlueDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: `ngsp-stats ${s.stage} rollups (CONTRACT.md section 2)` },
    });
    for (const t of ROLLUP_TABLES) {
      const root = `s3://${bucket.bucketName}/${t.prefix}`;
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
    const workGroupName = `${stackName}-analysts`;
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
    this.database = databaseName;
    this.workGroup = workGroupName;
  }
}
