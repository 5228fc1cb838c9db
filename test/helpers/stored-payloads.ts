/** The text of every payload in a history's events, as the Temporal server stores them (not decoded). */
export function storedPayloadText(v: unknown, out: string[] = []): string {
  if (v instanceof Uint8Array) return out.join('\n');
  if (Array.isArray(v)) for (const x of v) storedPayloadText(x, out);
  else if (v && typeof v === 'object') {
    const p = v as { data?: unknown; metadata?: unknown };
    if (p.data instanceof Uint8Array && p.metadata) out.push(Buffer.from(p.data).toString('utf8'));
    else for (const x of Object.values(v)) storedPayloadText(x, out);
  }
  return out.join('\n');
}
