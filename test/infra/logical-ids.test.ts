/**
 * The stateful resources' CloudFormation logical IDs, written down: a refactor of the stack
 * (infra/stack.ts and its constructs under infra/constructs/) that changed one would make
 * CloudFormation replace that table, bucket, queue, key or log group — deleting its data, or
 * failing on a name that already exists. Change this list only with a migration plan.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

const STATEFUL = [
  'AWS::Athena::WorkGroup',
  'AWS::DynamoDB::Table',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::SNS::Topic',
  'AWS::SQS::Queue',
];

/** As synthesized on 2026-12-02 from the single-class stack, before its split into constructs. */
const EXPECTED = [
  'AWS::Athena::WorkGroup AnalystsWorkGroup',
  'AWS::DynamoDB::Table EventsTableD24865E5',
  'AWS::DynamoDB::Table KeysTableDD857A22',
  'AWS::DynamoDB::Table StatsTable8BDA1AC3',
  'AWS::Glue::Database GlueDatabase',
  'AWS::Glue::Table GlueDailyRollups',
  'AWS::Glue::Table GlueDailyRollupsCsv',
  'AWS::Glue::Table GlueDailySummaries',
  'AWS::Glue::Table GlueDailySystems',
  'AWS::Glue::Table GlueDailySystemsCsv',
  'AWS::Glue::Table GlueMinuteRollups',
  'AWS::Glue::Table GlueRawArchive',
  'AWS::KMS::Key AlarmTopicKey57B0D3A7',
  'AWS::Logs::LogGroup ApiAccessLogsE9DF007D',
  'AWS::Logs::LogGroup ApiFnLogsD09C6776',
  'AWS::Logs::LogGroup IngestFnLogsD4849C8E',
  'AWS::Logs::LogGroup RollupFnLogsC9E2D5B7',
  'AWS::S3::Bucket AccessLogsBucket83982689',
  'AWS::S3::Bucket AthenaResultsBucket879938FA',
  'AWS::S3::Bucket RollupBucket04518DC5',
  'AWS::SNS::Topic AlarmTopicD01E77F9',
  'AWS::SQS::Queue DeadLetterQueue9F481546',
  'AWS::SQS::Queue IngestQueue2280FF4E',
];

describe('stateful resources keep their logical IDs', () => {
  it.each(['dev', 'prod'])(
    'given stage %s, then every table, bucket, queue, key, log group and catalog entry has its recorded logical ID',
    (stage) => {
      const resources = Template.fromStack(buildApp({ stage, alarmEmail: 'ops@example.org' }).stack).toJSON().Resources as Record<
        string,
        { Type: string }
      >;
      const stateful = Object.entries(resources)
        .filter(([, r]) => STATEFUL.includes(r.Type))
        .map(([id, r]) => `${r.Type} ${id}`)
        .sort();
      expect(stateful).toEqual(EXPECTED);
    },
  );
});
