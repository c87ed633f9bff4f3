/**
 * Stage settings from CDK context (`-c stage=prod -c alarmEmail=ops@example.org ...`), checked
 * once: a bad value stops the synth with the context key's name.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { defaultRegistry } from '#shared/registry.ts';

/** One principal allowed to send to the ingest queue: an LGSP's (for one platform) or an operator's. */
export interface SenderPrincipal {
  /** A platform id, or `ops` for an operator principal (redrive, relays). */
  platform: string;
  /** The IAM role or user ARN. */
  arn: string;
}

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

export interface StageSettings {
  /** Stage name: part of the stack name `NgspStats-<stage>`. @default 'dev' */
  stage: string;
  /** Production stages keep data when the stack is deleted. @default stage === 'prod' */
  isProduction: boolean;
  /** Email subscribed to the alarm topic. @default none (subscribe later) */
  alarmEmail?: string;
  /** Powertools log level. @default 'INFO' in prod, 'DEBUG' otherwise */
  logLevel: string;
  /** Retention of every log group. @default 365 in prod, 30 otherwise */
  logRetentionDays: RetentionDays;
  /**
   * The hot store's window: transaction items expire (TTL) this many days after their last report
   * was received; the raw archive in S3 keeps every report for good. 0 = items never expire.
   * @default the wiring table's HOT_DAYS
   */
  hotDays?: number;
  /** Days before objects under rejected/ expire. @default 400 */
  rejectedRetentionDays: number;
  /** Days before noncurrent object versions expire. @default 30 */
  noncurrentVersionDays: number;
  /** Stage-wide API Gateway throttling. @default 500 req/s, burst 1000 */
  apiRateLimit: number;
  apiBurstLimit: number;
  /**
   * Let this stack set the account's API Gateway CloudWatch role (needed for REST API execution
   * logs). Set false when the shared account already has one. @default true
   */
  apiGatewayCloudWatchRole: boolean;
  /** A WAFv2 web ACL (REGIONAL) to associate with the API stage. @default none */
  webAclArn?: string;
  /** Alarm when the oldest ingest message is older than this. @default 600 */
  oldestMessageAlarmSeconds: number;
  /** Alarm when the newest rolled minute is further behind now than this. @default 900 */
  rollupLagAlarmSeconds: number;
  /**
   * The principals allowed to `sqs:SendMessage` to the ingest queue (besides the API function),
   * from context `senders`: `{"LGSP-79": ["arn:aws:iam::111111111111:role/lgsp-79-sender"], "ops": [...]}`
   * (an object in cdk.json, or its JSON text with `-c senders='{...}'`). The registry of sending
   * principals (`ngsp senders add`) maps their SenderIds to platforms. @default none: only the API sends
   */
  senders: SenderPrincipal[];
}

/** Reads context `senders` (object or JSON text): platform (or `ops`) → ARN or ARNs. */
export function readSenders(raw: unknown, problems: string[]): SenderPrincipal[] {
  if (raw === undefined || raw === null || raw === '') return [];
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push('context senders must be a JSON object {"<platformId or ops>": ["<IAM role or user ARN>", ...]}');
      return [];
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('context senders must be an object {"<platformId or ops>": ["<IAM role or user ARN>", ...]}');
    return [];
  }
  const out: SenderPrincipal[] = [];
  for (const [platform, arns] of Object.entries(value as Record<string, unknown>)) {
    if (platform !== 'ops' && !defaultRegistry.knowsPlatform(platform))
      problems.push(`context senders: "${platform}" is not a platform of the registry (or "ops")`);
    for (const arn of Array.isArray(arns) ? arns : [arns]) {
      if (typeof arn !== 'string' || !PRINCIPAL_ARN.test(arn))
        problems.push(`context senders.${platform}: "${String(arn)}" is not an IAM role or user ARN`);
      else out.push({ platform, arn });
    }
  }
  return out;
}

const VALID_RETENTION = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

/** Reads and checks the stage settings from a construct node's context. */
export function readSettings(node: Node): StageSettings {
  const problems: string[] = [];
  const str = (key: string): string | undefined => {
    const v = node.tryGetContext(key) as unknown;
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const int = (key: string, dflt: number, min = 0): number => {
    const raw = str(key);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`context ${key} must be an integer >= ${min}, got "${raw}"`);
      return dflt;
    }
    return n;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const raw = str(key);
    if (raw === undefined) return dflt;
    if (raw !== 'true' && raw !== 'false') problems.push(`context ${key} must be true or false, got "${raw}"`);
    return raw === 'true';
  };

  const stage = str('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) problems.push(`context stage must match [a-z][a-z0-9-]{0,19}, got "${stage}"`);
  const isProduction = bool('production', stage === 'prod');
  const logLevel = (str('logLevel') ?? (isProduction ? 'INFO' : 'DEBUG')).toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'].includes(logLevel))
    problems.push(`context logLevel must be a Powertools log level, got "${logLevel}"`);
  const logRetentionDays = int('logRetentionDays', isProduction ? 365 : 30, 1);
  if (!VALID_RETENTION.has(logRetentionDays))
    problems.push(`context logRetentionDays must be one of ${[...VALID_RETENTION].join(', ')}, got ${logRetentionDays}`);
  const alarmEmail = str('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    problems.push(`context alarmEmail is not an email address: "${alarmEmail}"`);
  const webAclArn = str('webAclArn');
  if (webAclArn !== undefined && !webAclArn.startsWith('arn:')) problems.push(`context webAclArn must be an ARN, got "${webAclArn}"`);

  const settings: StageSettings = {
    stage,
    isProduction,
    alarmEmail,
    logLevel,
    logRetentionDays: logRetentionDays as RetentionDays,
    hotDays: str('hotDays') === undefined ? undefined : int('hotDays', 0),
    rejectedRetentionDays: int('rejectedRetentionDays', 400, 1),
    noncurrentVersionDays: int('noncurrentVersionDays', 30, 1),
    apiRateLimit: int('apiRateLimit', 500, 1),
    apiBurstLimit: int('apiBurstLimit', 1000, 1),
    apiGatewayCloudWatchRole: bool('apiGatewayCloudWatchRole', true),
    webAclArn,
    oldestMessageAlarmSeconds: int('oldestMessageAlarmSeconds', 600, 60),
    rollupLagAlarmSeconds: int('rollupLagAlarmSeconds', 900, 60),
    senders: readSenders(node.tryGetContext('senders') as unknown, problems),
  };
  if (problems.length) throw new Error(`invalid CDK context: ${problems.join('; ')}`);
  return settings;
}

/** Data stores keep their data in production; other stages clean up after themselves. */
export const removalPolicyOf = (s: StageSettings): RemovalPolicy => (s.isProduction ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
