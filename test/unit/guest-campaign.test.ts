/** Pure parts of guest campaigns: the logic-less template, import normalisation and zones from numbers. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readCsv, normaliseRows, type ImportRow } from '../../api/guest-import.js';
import {
  guestVariables,
  parseTemplate,
  previewFor,
  renderTemplate,
  TemplateError,
  templateVariables,
} from '../../workflows/guest-campaign/template.js';
import { zoneFromNumber } from '../../workflows/guest-campaign/zones.js';

describe('templates', () => {
  it('renders plain variables as they are (no HTML escaping in an SMS)', () => {
    const t = parseTemplate('Hi {{name}} & co, table {{table}} <{{& table}}>');
    expect(templateVariables(t)).toEqual(['name', 'table']);
    expect(renderTemplate(t, { name: 'Zoë "Z"', table: '4 & 5' })).toBe(
      'Hi Zoë "Z" & co, table 4 & 5 <4 & 5>',
    );
  });

  it('a missing or empty variable is an error naming it', () => {
    const t = parseTemplate('Hi {{name}}, table {{table}}');
    for (const vars of [{ name: 'A' }, { name: 'A', table: '' }] as Array<Record<string, string>>) {
      expect(() => renderTemplate(t, vars)).toThrow(
        expect.objectContaining({ field: 'variables.table', message: 'missing variable "table"' }),
      );
    }
  });

  it('sections, inverted sections, partials, delimiter changes and dotted names are refused', () => {
    for (const bad of [
      '{{#a}}x{{/a}}',
      '{{^a}}x{{/a}}',
      '{{> p}}',
      '{{=<% %>=}}',
      '{{a.b}}',
      '{{ unclosed',
    ]) {
      expect(() => parseTemplate(bad), bad).toThrow(TemplateError);
    }
  });

  it('previews count segments of the whole text (brand and STOP footer included) in GSM-7 or UCS-2', () => {
    const t = parseTemplate('{{x}}');
    // "Crewline: " (10) + x + " Reply STOP to opt out." (23) = 160 septets exactly: one segment.
    const p1 = previewFor(t, { x: 'a'.repeat(127) }, 'Crewline', 1);
    expect(p1.segments).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(p1.withinBudget).toBe(true);
    const p2 = previewFor(t, { x: 'a'.repeat(128) }, 'Crewline', 1);
    expect(p2.segments.segments).toBe(2);
    expect(p2.withinBudget).toBe(false);
    expect(previewFor(t, { x: 'ok 🎉' }, 'Crewline', 1).segments).toMatchObject({
      encoding: 'UCS-2',
      segments: 1,
    });
  });

  it("a guest's name is a variable; their phone is not", () => {
    expect(guestVariables({ name: 'Ana', variables: { table: '4' } })).toEqual({ table: '4', name: 'Ana' });
    expect(() =>
      renderTemplate(parseTemplate('{{phone}}'), guestVariables({ name: null, variables: {} })),
    ).toThrow(TemplateError);
  });
});

describe('import normalisation', () => {
  it('E.164, zones given (canonical) or derived, duplicates after normalisation, consent all-or-nothing', () => {
    const { guests, rejected } = normaliseRows(
      [
        { phone: '212-555-0101', timezone: 'US/Pacific' },
        { phone: '+1 (212) 555-0101' },
        { phone: '+442071838750' },
        { phone: '+5511987654321' }, // Brazil: several zones, none given
        { phone: '+13055550102', consent: { source: 'form', at: '2026-01-01T00:00:00Z', text: '' } },
        { phone: '+13055550103', consent: { source: 'form', at: '2026-01-01T00:00:00Z', text: 'yes' } },
      ],
      'US',
    );
    expect(guests.map((g) => [g.row, g.phone, g.timezone, g.consent !== null])).toEqual([
      [1, '+12125550101', 'America/Los_Angeles', false],
      [3, '+442071838750', 'Europe/London', false],
      [6, '+13055550103', 'America/New_York', true],
    ]);
    expect(rejected.map((r) => [r.row, r.reason])).toEqual([
      [2, 'duplicate'],
      [4, 'unknown_timezone'],
      [5, 'invalid_consent'],
    ]);
  });

  it('CSV: quoted fields, BOM, extra columns as variables, empty consent columns = no consent', async () => {
    const rows: ImportRow[] = [];
    const body = new Blob([
      '\uFEFFphone,name,table,consent_source,consent_at,consent_text\r\n"+12125550101","Doe, J",7,,,\r\n',
    ]).stream();
    expect(await readCsv(body, createHash('sha256'), (r) => rows.push(r))).toBe(1);
    expect(rows).toEqual([
      { phone: '+12125550101', name: 'Doe, J', timezone: null, variables: { table: '7' }, consent: null },
    ]);
  });

  it('zones from numbers: area codes, single-zone countries, else unknown', () => {
    expect(zoneFromNumber('+18085550100', 'US')).toBe('Pacific/Honolulu');
    expect(zoneFromNumber('+16025550100', 'US')).toBe('America/Phoenix');
    expect(zoneFromNumber('+81312345678', 'JP')).toBe('Asia/Tokyo');
    expect(zoneFromNumber('+61212345678', 'AU')).toBeNull();
  });
});
