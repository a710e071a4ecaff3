import { describe, expect, it } from 'vitest';
import { fhirEn, fhirJa } from './fhir';

describe('FHIR download messages', () => {
  it('name the link with its visible text, so speaking what is seen works (WCAG 2.5.3)', () => {
    for (const m of [fhirJa, fhirEn]) expect(m['fhir.download_label']).toContain(m['fhir.download']);
  });
});
