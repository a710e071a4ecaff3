import { describe, expect, it } from 'vitest';
import { fhirExportURL, fhirFileName } from './fhir';

describe('fhirExportURL', () => {
  it('covers the whole last day in Asia/Tokyo, with the + of the offset encoded', () => {
    const u = new URL(fhirExportURL('01900000-0000-7000-8000-000000000001', '2026-11-01', '2026-11-30'), 'https://x.invalid');
    expect(u.pathname).toBe('/api/v1/patients/01900000-0000-7000-8000-000000000001/fhir');
    expect(u.searchParams.get('since')).toBe('2026-11-01T00:00:00+09:00');
    expect(u.searchParams.get('until')).toBe('2026-12-01T00:00:00+09:00');
    expect(u.search).toContain('%2B09%3A00');
  });
  it('rolls over a year end', () => {
    const u = new URL(fhirExportURL('p', '2026-12-01', '2026-12-31'), 'https://x.invalid');
    expect(u.searchParams.get('until')).toBe('2027-01-01T00:00:00+09:00');
  });
  it('names the file by the range only', () => {
    expect(fhirFileName('2026-11-01', '2026-11-30')).toBe('fhir-20261101-20261130.json');
  });
});
