// Who a patient is, at a glance: charting on the wrong patient is the worst error a
// record system allows, and a region has patients who share a name. Every screen
// that writes for a patient shows the name with its kana, the age and the address,
// and marks a name another of my patients also has.

import type { Patient } from './schemas';

/** A name with its spaces (full- or half-width) removed, for comparing names. */
export function nameKey(name: string): string {
  return name.replace(/[\s\u3000]+/g, '');
}

/** The ids of the patients whose name another patient in `patients` also has. */
export function sharedNames(patients: Pick<Patient, 'id' | 'name'>[]): Set<string> {
  const byName = new Map<string, string[]>();
  for (const p of patients) {
    const k = nameKey(p.name);
    byName.set(k, [...(byName.get(k) ?? []), p.id]);
  }
  return new Set([...byName.values()].filter((ids) => ids.length > 1).flat());
}

/** The address as far as the town and block, enough to tell two homes apart. */
export function shortAddress(address: string | undefined): string {
  const a = (address ?? '').trim();
  return a.length > 24 ? `${a.slice(0, 24)}…` : a;
}
