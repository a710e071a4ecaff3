// Messages of the FHIR download on the summary screen (loaded with it: only
// ui/summary.tsx imports this module, which registers the messages).

import { addMessages, tx } from './index';

export const fhirJa = {
  'fhir.download': 'FHIR形式で保存',
  'fhir.download_label': '{from}〜{to}の記録をFHIR形式で保存(FHIR R4・JSON)',
  'fhir.hint': '他のシステムへの引き継ぎ用です。あなたが閲覧できる内容だけが含まれ、保存は記録に残ります。',
};

export type FhirKey = keyof typeof fhirJa;

export const fhirEn: Record<FhirKey, string> = {
  'fhir.download': 'Save as FHIR',
  'fhir.download_label': 'Save as FHIR: the records from {from} to {to} (FHIR R4, JSON)',
  'fhir.hint': 'For a hand-over to another system. It holds only what you may read, and saving it is recorded.',
};

addMessages({ ja: fhirJa, en: fhirEn });

/** t() for the FHIR download. */
export const ft = (key: FhirKey, vars?: Record<string, string | number>): string => tx(key, vars);
