/**
 * `.local/stack.json`, the local stack's description (CONTRACT.md section 4): written by
 * `npm start` (local/), read by the `ngsp` commands (cli/) and the tests. The one declaration
 * both sides share, so neither imports the other.
 */

/** An access key pair the local services accept (the operator's, or a platform's sending credential). */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StackJson {
  region: string;
  /** 1.1: `senders`: what each platform signs its SQS messages with, and where it sends them. */
  sqs: { endpoint: string; queueUrl: string; dlqUrl: string; senders?: Record<string, LocalCredentials & { queueUrl: string }> };
  /** 1.1: an operator's credentials, good for every local service. */
  credentials?: LocalCredentials;
  s3: { endpoint: string; bucket: string };
  dynamodb: { endpoint: string; tables: { events: string; stats: string; keys: string } };
  api: { url: string; keys: { analyst: string; ops: string; lgsp: Record<string, string> } };
}
