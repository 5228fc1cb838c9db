/**
 * Registering the member workflows' custom search attributes (`workflows/search-attributes.ts`) on a namespace,
 * so workflows can be started with them and upsert them, and operators can filter by them in the Web UI.
 * Used by the worker and the API at start-up, by `npm start` and by the test helpers.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey,
} from '@temporalio/common/lib/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

type Key = SearchAttributeKey<SearchAttributeType>;
type TemporalConnection = Pick<Connection, 'operatorService' | 'workflowService'>;

/** gRPC status codes. */
const INVALID_ARGUMENT = 3;
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
const UNAUTHENTICATED = 16;

const grpcCode = (err: unknown): number | undefined => (isGrpcServiceError(err) ? err.code : undefined);
const typeName = (key: Key) => TypedSearchAttributes.toMetadataType(key.type);
const indexedType = (key: Key): number => encodeSearchAttributeIndexedValueType(key.type)!;

/**
 * `--search-attribute CrewlineMemberId=Keyword …` for `temporal server start-dev`. The dev server applies them
 * only when it creates the namespace (a new database file), so `npm start` also calls `ensureSearchAttributes`.
 */
export function devServerSearchAttributeArgs(keys: readonly Key[] = SEARCH_ATTRIBUTES): string[] {
  return keys.flatMap((key) => ['--search-attribute', `${key.name}=${typeName(key)}`]);
}

/** The CLI command an operator runs to register `keys` by hand (one per type). */
export function searchAttributeCreateCommand(
  namespace: string,
  keys: readonly Key[] = SEARCH_ATTRIBUTES,
): string {
  const names = new Map<string, string[]>();
  for (const key of keys) names.set(typeName(key), [...(names.get(typeName(key)) ?? []), key.name]);
  return [...names]
    .map(
      ([type, group]) =>
        `temporal operator search-attribute create --namespace ${namespace} ` +
        `${group.map((name) => `--name ${name}`).join(' ')} --type ${type}`,
    )
    .join(' && ');
}

/**
 * Makes sure every key is registered on the namespace with its type: lists the namespace's search attributes,
 * adds the missing ones (tolerating "already exists", e.g. another process adding them at the same time) and
 * waits until the server's query validation knows them. Returns the names it added.
 *
 * The Java time-skipping test server has no ListSearchAttributes (UNIMPLEMENTED): there every key is added and
 * ALREADY_EXISTS means it was there. Without permission to list (Temporal Cloud, restricted identities) the
 * keys are probed with a visibility query instead, and missing ones are a start-up error naming the command.
 */
export async function ensureSearchAttributes(
  connection: TemporalConnection,
  namespace: string,
  keys: readonly Key[] = SEARCH_ATTRIBUTES,
  opts: { timeoutMs?: number } = {},
): Promise<string[]> {
  const command = searchAttributeCreateCommand(namespace, keys);
  const fail = (what: string, err?: unknown): never => {
    throw new Error(
      `Search attributes ${keys.map((k) => `${k.name} (${typeName(k)})`).join(', ')} on Temporal namespace ` +
        `"${namespace}": ${what}. Register them once with: ${command}`,
      { cause: err },
    );
  };
  const knows = (name: string) =>
    knownToVisibility(connection, namespace, name).catch((err) =>
      fail(`cannot query them (${(err as Error).message})`, err),
    );

  let registered: Map<string, number> | undefined;
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    registered = new Map(Object.entries({ ...res.systemAttributes, ...res.customAttributes }));
  } catch (err) {
    const code = grpcCode(err);
    if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) {
      const missing = [];
      for (const key of keys) if (!(await knows(key.name))) missing.push(key.name);
      if (missing.length) fail(`${missing.join(', ')} missing and not permitted to register them`, err);
      return [];
    }
    if (code !== UNIMPLEMENTED) fail(`cannot list them (${(err as Error).message})`, err);
  }

  const missing: Key[] = [];
  for (const key of keys) {
    const has = registered?.get(key.name);
    if (has === undefined) missing.push(key);
    else if (has !== indexedType(key))
      fail(`${key.name} is registered with another type, Crewline needs ${typeName(key)}`);
  }
  const added: string[] = [];
  for (const key of missing) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: indexedType(key) },
      });
      added.push(key.name);
    } catch (err) {
      if (grpcCode(err) === ALREADY_EXISTS) continue;
      const denied = [PERMISSION_DENIED, UNAUTHENTICATED].includes(grpcCode(err) ?? -1);
      fail(
        `${key.name} ${denied ? 'is missing and this identity may not register it' : 'could not be registered'} (${(err as Error).message})`,
        err,
      );
    }
  }

  // A server may apply new attributes to validation only once its namespace cache refreshes (on a cluster,
  // other frontends up to ~10 s later): wait until this one accepts queries on them. The dev server is
  // immediate; the time-skipping server (no listing) too.
  if (registered && missing.length) {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (const key of missing) {
      while (!(await knows(key.name))) {
        if (Date.now() > deadline) fail(`${key.name} was added but the server does not accept it yet`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
  return added;
}

/** Whether the namespace's visibility accepts a query on `name` (INVALID_ARGUMENT when it is unknown). */
async function knownToVisibility(connection: TemporalConnection, namespace: string, name: string) {
  try {
    await connection.workflowService.countWorkflowExecutions({ namespace, query: `${name} IS NULL` });
    return true;
  } catch (err) {
    if (grpcCode(err) === INVALID_ARGUMENT) return false;
    throw err;
  }
}
