// Messages of the visit editor (ui/visit-editor.tsx), which loads on first use:
// importing this module registers them (addMessages) before the editor renders.
// The editor's older messages (visit.*) stay in ja.ts/en.ts.

import { addMessages, tx } from './index';

export const visitEditorJa = {
  'visite.next_day': '翌日に終わる',
  'visite.next_day_mark': '翌日 {date}',
  'visite.days_later': '{n}日後 {date}',
  'visite.confirm_next_day': '終了は翌日 {date} {time} です。翌日に終わる予定として保存しますか?',
  'visite.confirm_yes': '翌日終了で保存',
  'visite.confirm_no': '時刻を直す',
  'visite.substitute': 'この回の担当(代わりの担当)',
  'visite.substitute_hint': 'この回だけ担当を替えます。ほかの回と繰り返し予定全体の担当は変わりません。',
  'visite.clash_title': '担当者のほかの予定と時間が重なっています',
  'visite.clash': '{name}: {time} {patient}さん({kind})',
  'visit.problem.end_before_start': '終了時刻が開始時刻より前です。翌日に終わる予定なら「翌日に終わる」にチェックしてください。',
};

export const visitEditorEn: Record<VisitEditorKey, string> = {
  'visite.next_day': 'Ends the next day',
  'visite.next_day_mark': 'next day, {date}',
  'visite.days_later': '{n} days later, {date}',
  'visite.confirm_next_day': 'It ends the next day, {date} at {time}. Save it as ending the next day?',
  'visite.confirm_yes': 'Save, ending the next day',
  'visite.confirm_no': 'Correct the times',
  'visite.substitute': 'Assigned to this occurrence (substitute)',
  'visite.substitute_hint': 'Changes who goes to this occurrence only; the other occurrences and the series keep their assignees.',
  'visite.clash_title': 'This overlaps with other visits of the assignees',
  'visite.clash': '{name}: {time} {patient} ({kind})',
  'visit.problem.end_before_start': 'The end is before the start. If it ends the next day, tick “Ends the next day”.',
};

export type VisitEditorKey = keyof typeof visitEditorJa;

addMessages({ ja: visitEditorJa, en: visitEditorEn });

/** t() for the visit editor. */
export const vt = (key: VisitEditorKey, vars?: Record<string, string | number>): string => tx(key, vars);
