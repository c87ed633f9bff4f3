/**
 * Conditional writes: one place that tells a failed condition (an expected outcome: another
 * runner holds the lease, the mark was set again, the item is already there) from a real error.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** Whether a conditional write went through: false when its condition failed; any other error is thrown. */
export async function conditionHolds(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    // By name too: a client from another copy of the SDK throws its own class.
    if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException')
      return false;
    throw err;
  }
}
