/**
 * Storage: the tables of shared/store/tables.ts, the rollup bucket and the bucket its server
 * access logs go to. Stateful: their logical IDs are fixed (test/infra/logical-ids.test.ts).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { PREFIXES } from '#shared/store/bucket.ts';
import { TABLES, type TableDef } from '#shared/store/tables.ts';
import type { StageSettings } from '../settings.ts';
import { Section } from './section.ts';

export interface StorageProps {
  settings: StageSettings;
  removalPolicy: RemovalPolicy;
}

export class Storage extends Section {
  readonly tables: Record<TableDef['id'], dynamodb.Table>;
  readonly bucket: s3.Bucket;
  /** Server access logs of the buckets (this one's and analytics'). */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, { settings: s, removalPolicy }: StorageProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
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
      serverAccessLogsBucket: this.accessLogs,
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

    this.tables = Object.fromEntries(TABLES.map((def) => [def.id, this.table(def, s, removalPolicy)])) as Record<
      TableDef['id'],
      dynamodb.Table
    >;
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
}
