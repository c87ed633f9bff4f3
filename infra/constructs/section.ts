/**
 * A part of the stack (storage, the ingest queue, the API, analytics, monitoring): a construct
 * that groups resources without entering their CloudFormation logical IDs, so moving resources
 * into sections never makes CloudFormation replace them (test/infra/logical-ids.test.ts).
 */
import { createHash } from 'node:crypto';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export class Section extends Construct {}

/** `ingest` → `Ingest`: construct ids from the wiring table's names. */
export const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const alphanumeric = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '');

/**
 * The logical ID CDK gives an element (`Stack.allocateLogicalId`: the path's ids without
 * `Default`; a single id as it is, else the ids without `Resource` or repeats, and the first
 * 8 hex digits of the path's MD5), computed on its path with the sections left out.
 */
export function logicalIdOutsideSections(stack: Stack, element: CfnElement): string {
  const scopes = element.node.scopes;
  const path = scopes
    .slice(scopes.indexOf(stack) + 1)
    .filter((s) => !(s instanceof Section))
    .map((s) => s.node.id)
    .filter((id) => id !== 'Default');
  if (path.length === 1 && alphanumeric(path[0]!).length <= 255) return alphanumeric(path[0]!);
  const hash = createHash('md5').update(path.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const id of path) if (!human.length || !human[human.length - 1]!.endsWith(id)) human.push(id);
  return (
    human
      .filter((id) => id !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}
