/**
 * Where alert changes go (shared/alerts.ts `Notifier`): the stack's SNS topic in AWS (the alarm
 * topic, infra/constructs/monitoring.ts), a log line on the local stack (no SNS emulator).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert, AlertChange, Notifier } from '#shared/alerts.ts';

/** The SNS message of a change: subject line for e-mail, JSON body with the whole alert (its id lets a subscriber drop a repeat). */
export function alertMessage(alert: Alert, change: AlertChange): { subject: string; body: string } {
  const subject = `ngsp-stats alert ${change}: ${alert.kind} ${alert.subject}`.slice(0, 100);
  return { subject, body: JSON.stringify({ change, alert }) };
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: Pick<SNSClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  async publish(alert: Alert, change: AlertChange): Promise<void> {
    const m = alertMessage(alert, change);
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: m.subject,
        Message: m.body,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: alert.kind },
          change: { DataType: 'String', StringValue: change },
        },
      }),
    );
  }
}

/** The local stack's notifier: one log line per change. */
export class LogNotifier implements Notifier {
  constructor(private readonly log: (message: string, fields: Record<string, unknown>) => void) {}

  async publish(alert: Alert, change: AlertChange): Promise<void> {
    this.log(alertMessage(alert, change).subject, { change, alert });
  }
}
