/** Where a tap on a notification leads: a misuse alert (type "alert", sent to the
 * network office) opens the alerts of the office console; a record awaiting the
 * author's confirmation (type "confirm") opens that record; a team-channel message
 * (types "message", "mention", "urgent") opens the patient's 連絡 tab at the message;
 * a staff message (type "staff_message") opens the staff messages; anything else
 * opens its patient; a push without a patient opens today. */
export function targetOf(d: { type?: string; patient_id?: string; record_id?: string; message_id?: string } | null): string {
  if (d?.type === 'alert') return '/#/admin/alerts';
  if (d?.type === 'staff_message') return '/#/staff'; // staff messages name no patient
  if (!d?.patient_id) return '/#/today';
  const pid = encodeURIComponent(d.patient_id);
  if (d.type === 'confirm' && d.record_id) return `/#/patients/${pid}/records/${encodeURIComponent(d.record_id)}`;
  if (d.type === 'message' || d.type === 'mention' || d.type === 'urgent') {
    return `/#/patients/${pid}/messages${d.message_id ? `/${encodeURIComponent(d.message_id)}` : ''}`;
  }
  return `/#/patients/${pid}`;
}
