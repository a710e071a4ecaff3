import { describe, expect, it } from 'vitest';
import {
  byDay, draftProblem, excerpt, insertMention, mentionCandidates, mentionQuery, mentionsIn, newMessage, restoreText, newToMe, orderThread, readUpTo,
  recordsOf, splitMentions, stored, type LocalMessage,
} from './channel';
import type { TeamMember } from './schemas';

const member = (user_id: string, name: string, name_kana: string, extra: Partial<TeamMember> = {}): TeamMember => ({
  user_id, name, name_kana, role: 'member', profession: 'nurse', facility_id: 'f1', facility_name: '訪問看護ステーション', facility_kind: 'nursing_station',
  status: 'active', added_at: '2026-01-01T00:00:00Z', ...extra,
});
const TEAM = [
  member('me', '看護 花子', 'カンゴ ハナコ'),
  member('doc', '医師 一郎', 'イシ イチロウ', { profession: 'doctor' }),
  member('doc2', '石田 二郎', 'イシダ ジロウ', { profession: 'doctor' }),
  member('cm', '介護 支援', 'カイゴ シエン', { profession: 'care_manager' }),
  member('gone', '石井 三郎', 'イシイ サブロウ', { status: 'suspended' }),
];

const msg = (id: string, created_at: string, extra: Partial<LocalMessage> = {}): LocalMessage => ({
  id, patient_id: 'p1', author_id: 'doc', author_name: '医師 一郎', profession: 'doctor', text: id, created_at, ...extra,
});

describe('thread order', () => {
  it('puts the oldest at the top and what waits on this device after everything the server has', () => {
    const list = [
      msg('c', '2026-03-02T01:00:00Z'),
      msg('w2', '2026-03-01T00:00:00Z', { pending: true }), // a device clock behind: still after the server's
      msg('a', '2026-03-01T09:00:00Z'),
      msg('w1', '2026-02-28T00:00:00Z', { pending: true }),
      msg('b2', '2026-03-01T10:00:00Z'),
      msg('b1', '2026-03-01T10:00:00Z'),
    ];
    expect(orderThread(list).map((m) => m.id)).toEqual(['a', 'b1', 'b2', 'c', 'w1', 'w2']);
  });

  it('groups by Tokyo day: 23:30 UTC is the next morning in Tokyo', () => {
    const days = byDay(orderThread([msg('a', '2026-03-01T14:00:00Z'), msg('b', '2026-03-01T15:30:00Z'), msg('c', '2026-03-02T10:00:00Z')]));
    expect(days.map((d) => [d.day, d.items.map((m) => m.id)])).toEqual([['2026-03-01', ['a']], ['2026-03-02', ['b', 'c']]]);
  });

  it('reads up to the newest message the server has, never a waiting one', () => {
    const t = orderThread([msg('a', '2026-03-01T00:00:00Z'), msg('b', '2026-03-02T00:00:00Z'), msg('w', '2026-03-03T00:00:00Z', { pending: true })]);
    expect(readUpTo(t)).toBe('b');
    expect(readUpTo([msg('w', '2026-03-03T00:00:00Z', { pending: true })])).toBeUndefined();
  });

  it('marks the newest unread messages by others as new, skipping mine', () => {
    const t = orderThread([
      msg('a', '2026-03-01T00:00:00Z'), msg('b', '2026-03-02T00:00:00Z'), msg('mine', '2026-03-03T00:00:00Z', { author_id: 'me' }),
      msg('c', '2026-03-04T00:00:00Z'), msg('w', '2026-03-05T00:00:00Z', { pending: true, author_id: 'me' }),
    ]);
    expect([...newToMe(t, 2, 'me')]).toEqual(['c', 'b']);
    expect(newToMe(t, 0, 'me').size).toBe(0);
    expect(newToMe(t, 9, 'me').size).toBe(3);
  });
});

describe('@mention completion', () => {
  it('finds the mention being typed at the caret', () => {
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('先生@いし', 5)).toEqual({ start: 2, query: 'いし' });
    expect(mentionQuery('連絡です ＠イシ', 8)).toEqual({ start: 5, query: 'イシ' });
    expect(mentionQuery('@いし です', 6)).toBeUndefined(); // a space ended it
    expect(mentionQuery('mail a@b.jp', 11)).toBeUndefined(); // an e-mail address
    expect(mentionQuery('@いし', 1)).toEqual({ start: 0, query: '' }); // caret right after the @
    expect(mentionQuery('no mention', 10)).toBeUndefined();
  });

  it('offers active members other than me, by name or kana in either script, those starting with it first', () => {
    const ids = (q: string) => mentionCandidates(TEAM, q, 'me').map((m) => m.user_id);
    expect(ids('')).toEqual(['doc', 'doc2', 'cm']); // kana order; not me (看護), not the suspended 石井
    expect(ids('いし')).toEqual(['doc', 'doc2']);
    expect(ids('イチ')).toEqual(['doc']);
    expect(ids('一郎')).toEqual(['doc']);
    expect(ids('ｲｼﾀﾞ')).toEqual(['doc2']); // half-width katakana
    expect(ids('いしい')).toEqual(['doc']); // いしいちろう; 石井 (いしいさぶろう) is suspended
    expect(ids('ぞ')).toEqual([]);
    const goto = member('goto', '後藤 四郎', 'ゴトウ シロウ');
    expect(mentionCandidates([...TEAM, goto], 'ご', 'me').map((m) => m.user_id)).toEqual(['goto', 'cm']); // ごとう starts with it, かいご has it
    expect(mentionCandidates([...TEAM, goto], '', 'me', 2)).toHaveLength(2);
  });

  it('inserts the chosen name and puts the caret after it', () => {
    const text = '先生@いし 確認を';
    const q = mentionQuery(text, 5)!;
    expect(insertMention(text, 5, q, '医師 一郎')).toEqual({ text: '先生@医師 一郎 確認を', caret: 9 });
    const end = mentionQuery('至急 @', 4)!;
    expect(insertMention('至急 @', 4, end, '介護 支援')).toEqual({ text: '至急 @介護 支援 ', caret: 10 });
  });

  it('knows whom a text mentions, with or without the space in the name, @ or ＠', () => {
    expect(mentionsIn('@医師 一郎 先生、＠介護支援 さんも', TEAM)).toEqual(['doc', 'cm']);
    expect(mentionsIn('医師 一郎 先生へ', TEAM)).toEqual([]);
  });

  it('mentions only the longer name when one name begins another', () => {
    const both = [{ user_id: 'short', name: '佐藤 一' }, { user_id: 'long', name: '佐藤 一郎' }];
    expect(mentionsIn('@佐藤 一郎 さん', both)).toEqual(['long']);
    expect(mentionsIn('@佐藤一郎 さん', both)).toEqual(['long']);
    expect(mentionsIn('@佐藤 一 さん', both)).toEqual(['short']);
    expect(mentionsIn('@佐藤 一郎 と @佐藤一 へ', both)).toEqual(['short', 'long']);
  });

  it('puts a refused message back into the composer without losing what is being written', () => {
    expect(restoreText('', '@医師 一郎 熱あり')).toBe('@医師 一郎 熱あり');
    expect(restoreText('  \n', '熱あり')).toBe('熱あり');
    expect(restoreText('書きかけ\n', '熱あり')).toBe('書きかけ\n熱あり');
  });

  it('cuts the text into plain and mention parts', () => {
    expect(splitMentions('@医師 一郎 先生、@介護支援 さん', ['医師 一郎', '介護 支援'])).toEqual([
      { text: '@医師 一郎', mention: true }, { text: ' 先生、' }, { text: '@介護支援', mention: true }, { text: ' さん' },
    ]);
    expect(splitMentions('a.b*c', [])).toEqual([{ text: 'a.b*c' }]);
    expect(splitMentions('(x) @a.b', ['a.b'])).toEqual([{ text: '(x) ' }, { text: '@a.b', mention: true }]);
  });
});

describe('writing', () => {
  const ME = { id: 'me', name: '看護 花子', profession: 'nurse' };

  it('builds message.create args with only what is given, and a waiting copy', () => {
    const { args, local } = newMessage('p1', 'm1', { text: '  @医師 一郎 熱が38度です  ', urgent: true, replyTo: 'm0', attachmentIds: ['a1'] }, TEAM, ME, '2026-03-01T00:00:00Z');
    expect(args).toEqual({ patient_id: 'p1', id: 'm1', text: '@医師 一郎 熱が38度です', reply_to: 'm0', mentions: ['doc'], attachment_ids: ['a1'], urgent: true });
    expect(local).toMatchObject({ id: 'm1', patient_id: 'p1', author_id: 'me', author_name: '看護 花子', profession: 'nurse', mentions: ['doc'], urgent: true, pending: true });
    const plain = newMessage('p1', 'm2', { text: 'はい', urgent: false, attachmentIds: [] }, TEAM, ME, '2026-03-01T00:00:00Z');
    expect(plain.args).toEqual({ patient_id: 'p1', id: 'm2', text: 'はい' });
  });

  it('never mentions me nor a suspended member (the server takes active members only)', () => {
    const { args } = newMessage('p1', 'm1', { text: '@看護 花子 @石井 三郎 @医師 一郎', urgent: false, attachmentIds: [] }, TEAM, ME, '2026-03-01T00:00:00Z');
    expect(args.mentions).toEqual(['doc']);
  });

  it('refuses an empty or too long text as the server would', () => {
    expect(draftProblem({ text: '  \n ' })).toBe('empty');
    expect(draftProblem({ text: 'あ'.repeat(2000) })).toBeUndefined();
    expect(draftProblem({ text: '😀'.repeat(2000) })).toBeUndefined(); // characters, not UTF-16 units
    expect(draftProblem({ text: 'あ'.repeat(2001) })).toBe('too_long');
  });

  it('keeps no read receipts on the device and links records made from a message, offline ones too', () => {
    const m = msg('m1', '2026-03-01T00:00:00Z', { read_by: [{ user_id: 'me', read_at: 'x' }], record_ids: ['r1'] });
    expect('read_by' in stored(m)).toBe(false);
    expect(recordsOf(m, [{ id: 'r1', source_message_id: 'm1' }, { id: 'r2', source_message_id: 'm1' }, { id: 'r3', source_message_id: 'm9' }, { id: 'r4' }])).toEqual(['r1', 'r2']);
  });

  it('shortens a quoted text by characters', () => {
    expect(excerpt('あいうえお', 3)).toBe('あいう…');
    expect(excerpt('あい', 3)).toBe('あい');
  });
});
