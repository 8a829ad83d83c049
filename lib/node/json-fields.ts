/**
 * Readers for fields of JSON documents printed by runtimes (crictl, ctr, CRI verbose info): each
 * returns a typed value or a neutral one, so a parser states what it expects in one place and a
 * runtime that leaves a field out does not crash it.
 */
export type Json = unknown;

export function record(value: Json): Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, Json>) : {};
}

export function text(value: Json): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A number, or a decimal string of one (proto-loader and crictl print int64 as strings). */
export function integer(value: Json): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

export function stringRecord(value: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(record(value))) if (typeof item === 'string') out[key] = item;
  return out;
}
