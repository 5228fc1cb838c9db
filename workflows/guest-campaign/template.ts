/**
 * Campaign templates: mustache syntax restricted to plain variables (`{{name}}`, `{{table}}`): no sections,
 * partials or lambdas, so a template can never run code or loop. Values are inserted as they are (SMS is not
 * HTML: nothing is escaped). A variable the guest does not have is an error naming it, never an empty gap.
 * Used by the API (validation, previews) and the send activity; workflows never render (bodies hold names).
 */
import Mustache from 'mustache';
import { countSegments, type SegmentCount } from '../lib/segments.js';
import { campaignText } from './texts.js';

export type TemplateToken = { text: string } | { variable: string };

export class TemplateError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Parse a template; a syntax error, a section/partial or a bad variable name is a TemplateError. */
export function parseTemplate(template: string): TemplateToken[] {
  let spans: ReturnType<typeof Mustache.parse>;
  try {
    // A fresh copy of the parse (mustache caches parses globally; we never mutate them).
    spans = Mustache.parse(template);
  } catch (err) {
    throw new TemplateError('template', `is not a valid template: ${(err as Error).message}`);
  }
  const out: TemplateToken[] = [];
  for (const span of spans) {
    const [kind, value] = span as unknown as [string, string];
    if (kind === 'text') out.push({ text: value });
    else if (kind === 'name' || kind === '&') {
      if (!VARIABLE.test(value))
        throw new TemplateError('template', `"${value}" is not a variable name (letters, digits, _)`);
      out.push({ variable: value });
    } else if (kind === '!') continue;
    else
      throw new TemplateError(
        'template',
        'only plain variables such as {{name}} are supported (no sections or partials)',
      );
  }
  return out;
}

/** The variables a template uses, in order of first use. */
export function templateVariables(tokens: TemplateToken[]): string[] {
  return [...new Set(tokens.flatMap((t) => ('variable' in t ? [t.variable] : [])))];
}

/** The variables one guest offers: `name`, `phone` is never one (it stays out of texts). */
export function guestVariables(guest: { name: string | null; variables: Record<string, string> }) {
  return { ...guest.variables, ...(guest.name !== null && { name: guest.name }) };
}

/** Render for one guest; a variable the guest lacks (or has empty) is a TemplateError naming it. */
export function renderTemplate(tokens: TemplateToken[], vars: Record<string, string>): string {
  let s = '';
  for (const t of tokens) {
    if ('text' in t) s += t.text;
    else {
      const v = vars[t.variable];
      if (v === undefined || v === '')
        throw new TemplateError(`variables.${t.variable}`, `missing variable "${t.variable}"`);
      s += v;
    }
  }
  return s;
}

export interface Preview {
  body: string;
  segments: SegmentCount;
  withinBudget: boolean;
}

/** The full text a guest would get (brand, template, STOP footer) with its segment count against the budget. */
export function previewFor(
  tokens: TemplateToken[],
  vars: Record<string, string>,
  brand: string,
  budget: number,
): Preview {
  const body = campaignText(brand, renderTemplate(tokens, vars));
  const segments = countSegments(body);
  return { body, segments, withinBudget: segments.segments <= budget };
}
