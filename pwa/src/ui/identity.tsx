import type { Patient } from '../schemas';
import { age, formatEraDate, t } from '../i18n';
import { shortAddress } from '../identity';

/**
 * The patient's name with kana, age, birth date and address, and a warning when
 * another of my patients has the same name. Shown wherever someone writes for a
 * patient (the record form, today's visit rows), so that the chart goes to the
 * right person.
 */
export function PatientIdentity({ patient, sameName, compact }: { patient?: Patient; sameName?: boolean; compact?: boolean }) {
  if (!patient) return <span class="identity">—</span>;
  const born = patient.birth_date ? `${compact ? '' : `${formatEraDate(patient.birth_date)} · `}${t('patient.age', { n: age(patient.birth_date) })}` : '';
  return (
    <span class={`identity${sameName ? ' same-name' : ''}`}>
      <ruby class="identity-name">{patient.name}<rt>{patient.name_kana}</rt></ruby>
      <small class="identity-facts">{[born, shortAddress(patient.address)].filter(Boolean).join(' · ')}</small>
      {sameName && <span class="tag warn" role="note">{t('identity.same_name')}</span>}
    </span>
  );
}
