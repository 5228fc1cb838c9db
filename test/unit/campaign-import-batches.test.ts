/**
 * The import writer takes each batch out of the normaliser (`takeThrough`), so rows already written are no longer
 * held: every guest and rejected row comes out exactly once, in row order, in the batch that covers its row.
 */
import { expect, it } from 'vitest';
import { ImportNormaliser } from '../../api/guest-import.js';

const consent = { source: 'form', at: '2026-11-01T10:00:00Z', text: 'Text me' };

it('takeThrough hands over each batch once, in row order, and keeps only what is not yet taken', () => {
  const n = new ImportNormaliser();
  for (let i = 1; i <= 10; i++)
    n.add({
      phone: i % 4 === 0 ? 'not a number' : `+1212555${String(1000 + i)}`,
      name: `G${i}`,
      timezone: 'America/New_York',
      consent,
    });
  n.add({ phone: '+12125551001', name: 'again', timezone: 'America/New_York' }); // row 11: duplicate of row 1
  expect(n.received).toBe(11);

  const first = n.takeThrough(5);
  expect(first.guests.map((g) => g.row)).toEqual([1, 2, 3, 5]);
  expect(first.rejected.map((r) => [r.row, r.reason])).toEqual([[4, 'invalid_number']]);
  expect(n.guests.map((g) => g.row)).toEqual([6, 7, 9, 10]);

  expect(n.takeThrough(5)).toEqual({ guests: [], rejected: [] }); // taken already
  const rest = n.takeThrough(11);
  expect(rest.guests.map((g) => g.row)).toEqual([6, 7, 9, 10]);
  expect(rest.rejected.map((r) => [r.row, r.reason])).toEqual([
    [8, 'invalid_number'],
    [11, 'duplicate'],
  ]);
  expect(n.guests).toEqual([]);
  expect(n.rejected).toEqual([]);
  expect(n.received).toBe(11);
});
