/**
 * Operations: alarms on the DLQ, queue age, each function's errors and throttles, rollup lag,
 * store errors and API 5xx, to a KMS-encrypted SNS topic; one dashboard. Custom metrics by the
 * names of shared/metric-names.ts.
 */
import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS, NAMESPACE, type Service } from '#shared/metric-names.ts';
import type { StageSettings } from '../settings.ts';
import type { FunctionDecl } from '../wiring.ts';
import type { AppFunction } from './app-function.ts';
import { pascal, Section } from './section.ts';

export interface MonitoringProps {
  settings: StageSettings;
  functions: ReadonlyMap<FunctionDecl['name'], AppFunction>;
  queues: { ingestQueue: sqs.IQueue; deadLetterQueue: sqs.IQueue };
  api?: apigw.RestApi;
  removalPolicy: RemovalPolicy;
}

export class Monitoring extends Section {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, { settings: s, functions, queues, api, removalPolicy }: MonitoringProps) {
    super(scope, id);
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
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      masterKey: topicKey,
      enforceSSL: true,
      displayName: `ngsp-stats ${s.stage} alarms`,
    });
    if (s.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(s.alarmEmail));

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
      metric: queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('IngestQueueOldestMessageAlarm', {
      alarmDescription: `The oldest ingest message is older than ${s.oldestMessageAlarmSeconds} s: ingest is falling behind. See docs/operations.md#ingest-backlog.`,
      metric: queues.ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: s.oldestMessageAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const [name, f] of functions) {
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
    const custom = <S extends Service>(
      service: S,
      metricName: keyof (typeof METRICS)[S] & string,
      statistic = 'Sum',
      period = Duration.minutes(1),
    ): cloudwatch.Metric => new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { service }, statistic, period });
    const lag = custom('rollup', METRICS.rollup.RollupLagSeconds, 'Maximum', five);
    if (functions.has('rollup')) {
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
      alarm('RollupQuarantineAlarm', {
        alarmDescription:
          'A minute or day failed to roll in 3 runs in a row and is quarantined: the watermark went on without it, its figures are missing or stale until it rolls. See docs/operations.md#rollup-quarantine.',
        metric: custom('rollup', METRICS.rollup.PeriodsQuarantined, 'Maximum', five),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (functions.has('ingest')) {
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
    if (api) {
      alarm('Api5xxAlarm', {
        alarmDescription: 'The API answers 5xx (more than 5 in each of 2 five-minute periods). See docs/operations.md#api-5xx.',
        metric: api.metricServerError({ period: five, statistic: 'Sum' }),
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
          queues.ingestQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
          queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), label: 'DLQ visible' }),
        ],
        right: [queues.ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Rollup',
        left: [lag],
        right: [
          custom('rollup', METRICS.rollup.MinutesRolled),
          custom('rollup', METRICS.rollup.DaysRolled),
          custom('rollup', METRICS.rollup.RollupLeaseBusy),
          custom('rollup', METRICS.rollup.PeriodsQuarantined, 'Maximum'),
          custom('rollup', METRICS.rollup.AlertsRaised),
        ],
        leftAnnotations: [{ value: s.rollupLagAlarmSeconds, label: 'lag alarm' }],
        width: 12,
      }),
      ...[...functions.values()].map(
        (f) =>
          new cloudwatch.GraphWidget({
            title: `${f.decl.name} function`,
            left: [f.fn.metricInvocations({ period: five }), f.fn.metricErrors({ period: five }), f.fn.metricThrottles({ period: five })],
            right: [f.fn.metricDuration({ period: five, statistic: 'p95' })],
            width: 12,
          }),
      ),
    );
    if (api) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'API',
          left: [api.metricCount({ period: five }), api.metricClientError({ period: five }), api.metricServerError({ period: five })],
          right: [api.metricLatency({ period: five, statistic: 'p95' })],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'API function: requests and events',
          left: Object.values(METRICS.api).map((m) => custom('api', m)),
          width: 12,
        }),
      );
    }
    this.dashboard = dashboard;
  }
}
