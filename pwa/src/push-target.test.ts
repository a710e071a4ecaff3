import { describe, expect, it } from 'vitest';
import { targetOf } from './push-target';

describe('targetOf', () => {
  it('opens the record awaiting confirmation, the patient otherwise, today without a patient, the console for an alert', () => {
    expect(targetOf({ type: 'confirm', patient_id: 'p1', record_id: 'r1' })).toBe('/#/patients/p1/records/r1');
    expect(targetOf({ type: 'record', patient_id: 'p1', record_id: 'r1' })).toBe('/#/patients/p1');
    expect(targetOf({ type: 'visit', patient_id: 'p1' })).toBe('/#/patients/p1');
    expect(targetOf(null)).toBe('/#/today');
    expect(targetOf({ type: 'alert' })).toBe('/#/admin/alerts');
    expect(targetOf({ type: 'staff_message' })).toBe('/#/staff'); // names no patient
  });

  it('opens the 連絡 tab at the message for the team channel\'s pushes', () => {
    expect(targetOf({ type: 'urgent', patient_id: 'p1', message_id: 'm1' })).toBe('/#/patients/p1/messages/m1');
    expect(targetOf({ type: 'mention', patient_id: 'p1', message_id: 'm1' })).toBe('/#/patients/p1/messages/m1');
    expect(targetOf({ type: 'message', patient_id: 'p1' })).toBe('/#/patients/p1/messages');
  });
});
