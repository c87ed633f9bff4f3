/**
 * `ngsp senders add --platform ID --sender-id AIDA...|AROA...` | `senders add --ops --sender-id ...`
 * | `senders list` | `senders remove SENDER_ID` (operators): the registry of sending principals
 * the ingest function reads (CONTRACT.md rule 7). A message whose SenderId is not registered is
 * rejected into `rejected/platform=unknown/`; an LGSP's sender may report only as its platform.
 */
import { SENDER_ID, SenderStore, type SenderRecord } from '#shared/store/senders.ts';
import { UserError } from '../errors.ts';
import { printRecords, type Io } from '../io.ts';
import { tableOf, type Target } from '../target.ts';
import { liveRegistry } from './platforms.ts';

function store(target: Target): SenderStore {
  return new SenderStore(target.clients.ddb, tableOf(target, 'keys'));
}

export interface AddSenderOptions {
  senderId: string;
  platform?: string;
  ops?: boolean;
  note?: string;
}

/** How an operator finds a principal's unique id (what SQS reports as SenderId). */
const HOW =
  'the IAM unique id SQS reports as SenderId: aws iam get-role --role-name NAME --query Role.RoleId (AROA...) or aws iam get-user --user-name NAME --query User.UserId (AIDA...)';

export async function addSender(target: Target, opts: AddSenderOptions, io: Io): Promise<SenderRecord> {
  const senderId = opts.senderId.split(':')[0]!;
  if (!SENDER_ID.test(senderId)) throw new UserError(`--sender-id must be ${HOW}; got "${opts.senderId}".`);
  if (Boolean(opts.ops) === Boolean(opts.platform))
    throw new UserError("give either --platform ID (an LGSP's sender) or --ops (an operator's relay), not both or neither.");
  if (opts.platform && !(await liveRegistry(target)).knowsPlatform(opts.platform))
    throw new UserError(`platform "${opts.platform}" is not in the registry (ngsp platforms list).`);
  const record = await store(target).put({
    senderId,
    role: opts.ops ? 'ops' : 'lgsp',
    ...(opts.platform ? { platformId: opts.platform } : {}),
    ...(opts.note ? { note: opts.note } : {}),
  });
  io.out(
    `registered ${senderId} as ${opts.ops ? "an operator (may relay any platform's reports)" : `the sender of ${opts.platform}`}; the ingest function sees it within a minute.`,
  );
  if (target.kind === 'aws')
    io.note(
      'note: the queue policy lets only the principals of CDK context "senders" send: add its ARN there and redeploy (docs/lgsp-integration.md).',
    );
  return record;
}

export async function listSenders(target: Target, opts: { json?: boolean }, io: Io): Promise<SenderRecord[]> {
  return printRecords(io, await store(target).list(), opts, {
    none: 'no senders.',
    header: ['SENDER ID', 'ROLE', 'PLATFORM', 'CREATED', 'NOTE'],
    row: (r) => [r.senderId, r.role, r.platformId ?? '-', r.createdAt, r.note ?? ''],
  });
}

export async function removeSender(target: Target, senderId: string, io: Io): Promise<void> {
  if (!SENDER_ID.test(senderId)) throw new UserError(`"${senderId}" is not a sender id (see ngsp senders list).`);
  if (!(await store(target).remove(senderId))) throw new UserError(`no sender ${senderId} (see ngsp senders list).`);
  io.out(`removed ${senderId}: its messages are rejected into rejected/platform=unknown/ within a minute.`);
}
