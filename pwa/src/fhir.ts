// The address of a patient's FHIR export (GET /api/v1/patients/{id}/fhir) for a
// range of days in Asia/Tokyo: since = the first day's midnight, until = the
// midnight after the last day. A plain link: the session cookie authorises it,
// the server audits it, and the browser saves the file.

/** The next day of a YYYY-MM-DD date. */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export function fhirExportURL(patientId: string, from: string, to: string): string {
  const q = new URLSearchParams({ since: `${from}T00:00:00+09:00`, until: `${nextDay(to)}T00:00:00+09:00` });
  return `/api/v1/patients/${encodeURIComponent(patientId)}/fhir?${q.toString()}`;
}

/** The file name the browser saves the export under (no patient name in it). */
export function fhirFileName(from: string, to: string): string {
  return `fhir-${from.replaceAll('-', '')}-${to.replaceAll('-', '')}.json`;
}
