/**
 * The ingest queue and its dead-letter queue, and who may send to it (rule 7): the registered
 * senders of context `senders` and the API function, every other principal denied.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { SenderPrincipal } from '../settings.ts';
import { MAX_RECEIVE_COUNT, type FunctionDecl } from '../wiring.ts';
import { Section } from './section.ts';

/** Visibility timeout of a queue feeding functions: 6x the longest timeout plus the batching window (AWS guidance). */
export function visibilityTimeoutFor(decls: readonly FunctionDecl[], queue: string): Duration {
  const feeders = decls.flatMap((d) => (d.trigger.kind === 'sqs' && d.trigger.queue === queue ? [d] : []));
  const seconds = Math.max(
    30,
    ...feeders.map((d) => 6 * d.timeoutSeconds + (d.trigger.kind === 'sqs' ? d.trigger.maxBatchingWindowSeconds : 0)),
  );
  return Duration.seconds(seconds);
}

export class IngestQueue extends Section {
  readonly ingestQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: { functions: readonly FunctionDecl[] }) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14), // an outage of the consumers must not lose reports
      visibilityTimeout: visibilityTimeoutFor(props.functions, 'ingestQueue'),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }

  /**
   * The ingest queue's send policy: `sqs:SendMessage` for exactly the given principals and the
   * API function's role, and denied to every other principal (an identity policy of the account
   * cannot widen it).
   */
  restrictSenders(senders: readonly SenderPrincipal[], apiRole?: iam.IRole): void {
    const arns = [...new Set(senders.map((p) => p.arn))];
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
    const allowed = [...arns, ...(apiRole ? [apiRole.roleArn] : [])];
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
}
