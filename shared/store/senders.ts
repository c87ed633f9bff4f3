/**
 * The registry of sending principals (CONTRACT.md rule 7): which SQS `SenderId` — an IAM user's
 * unique id (`AIDA...`) or a role's (`AROA...`, which SQS reports as `AROA...:<session>`) — sends
 * for which platform. Items live in the keys table as `S#<senderId>`; the only code that knows them.
 *
 * A sender is either a platform's (`lgsp`: it may report only as that platform) or an operator's
 * (`ops`: a relay that may carry any platform's reports, e.g. a copy-redrive of dead letters).
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export type SenderRole = 'lgsp' | 'ops';

export interface SenderRecord {
  /** As SQS reports it in `SenderId`: an IAM user or role unique id (no session part). */
  senderId: string;
  role: SenderRole;
  /** For `lgsp` senders: the platform it reports for. */
  platformId?: string;
  /** Free text for operators (e.g. the principal's ARN). */
  note?: string;
  createdAt: string;
}

/** IAM unique ids are upper-case letters and digits; local ones too (local/sqs-proxy.ts). */
export const SENDER_ID = /^[A-Z0-9]{8,128}$/;

const PREFIX = 'S#';

export class SenderStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Registers (or replaces) a sender. */
  async put(record: Omit<SenderRecord, 'createdAt'> & { createdAt?: string }): Promise<SenderRecord> {
    if (!SENDER_ID.test(record.senderId)) throw new Error(`not an IAM unique id: ${record.senderId}`);
    if (record.role === 'lgsp' && !record.platformId) throw new Error('an lgsp sender needs a platform');
    const full: SenderRecord = { ...record, createdAt: record.createdAt ?? new Date().toISOString() };
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: PREFIX + full.senderId },
          senderId: { S: full.senderId },
          role: { S: full.role },
          ...(full.platformId ? { platformId: { S: full.platformId } } : {}),
          ...(full.note ? { note: { S: full.note } } : {}),
          createdAt: { S: full.createdAt },
        },
      }),
    );
    return full;
  }

  /** The sender's record, or undefined when it is not registered (or was removed). */
  async get(senderId: string): Promise<SenderRecord | undefined> {
    if (!SENDER_ID.test(senderId)) return undefined;
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: PREFIX + senderId } }, ConsistentRead: true }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  /** Removes a sender; false when there was none. */
  async remove(senderId: string): Promise<boolean> {
    const out = await this.ddb.send(
      new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: PREFIX + senderId } }, ReturnValues: 'ALL_OLD' }),
    );
    return Boolean(out.Attributes);
  }

  /** Every registered sender (a scan of the keys table filtered to sender items: an operator tool). */
  async list(): Promise<SenderRecord[]> {
    const out: SenderRecord[] = [];
    const input = { TableName: this.table, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': { S: PREFIX } } };
    for await (const page of paginateScan({ client: this.ddb }, input)) for (const it of page.Items ?? []) out.push(toRecord(it));
    return out.sort((a, b) => (a.platformId ?? '').localeCompare(b.platformId ?? '') || a.senderId.localeCompare(b.senderId));
  }
}

function toRecord(it: Record<string, AttributeValue>): SenderRecord {
  return {
    senderId: it.senderId?.S ?? it.pk!.S!.slice(PREFIX.length),
    role: (it.role?.S ?? 'lgsp') as SenderRole,
    ...(it.platformId?.S ? { platformId: it.platformId.S } : {}),
    ...(it.note?.S ? { note: it.note.S } : {}),
    createdAt: it.createdAt?.S ?? '',
  };
}
