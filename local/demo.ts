/**
 * The `npm start` demo: replays seed traffic into the local stack. Until the seed profiles land
 * it only says how to send events by hand.
 */
import type { LocalStack, StackJson } from './stack.ts';

export async function runDemo(_stack: LocalStack, json: StackJson): Promise<void> {
  console.log(`demo: send events with: aws sqs send-message --endpoint-url ${json.sqs.endpoint} --queue-url ${json.sqs.queueUrl} --message-body file://seeds/sample-events/consumer.json`);
}
