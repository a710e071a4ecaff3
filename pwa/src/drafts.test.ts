import { describe, expect, it } from 'vitest';
import { Drafts } from './drafts';
import { Entities } from './sync/entities';
import { Puller } from './sync/pull';
import { fakeServer, json, mustOpenDB, mustVault } from './sync/testing';
import type { PullResponse } from './schemas';
import { emptyState } from './ui/forms/content';

async function setup() {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const ents = new Entities(db, vault);
  let clock = 0;
  const drafts = new Drafts(ents, () => `2026-12-04T10:00:0${clock++}Z`);
  return { db, vault, ents, drafts };
}

const typed = () => ({ ...emptyState('nursing_visit', '2026-12-04T10:00'), text: '下書き本文-秘密', vitals: { temperature_c: '37.0' } });

describe('drafts', () => {
  it('keeps a draft sealed on the device, per patient and kind, and gives it back', async () => {
    const { db, drafts } = await setup();
    await drafts.put('p1', 'nursing_visit', typed());
    const row = await db.get('entities', 'draft/p1/nursing_visit');
    expect(row?.patient_id).toBe('p1');
    // Sealed: neither the text nor any value is readable in the stored row.
    const raw = JSON.stringify(row) + new TextDecoder().decode(row!.sealed.ct);
    expect(raw).not.toContain('下書き本文');
    expect(raw).not.toContain('37.0');
    expect((await drafts.get('p1', 'nursing_visit'))?.state).toEqual(typed());
    expect(await drafts.get('p1', 'note')).toBeUndefined();
    expect(await drafts.get('p2', 'nursing_visit')).toBeUndefined();
  });

  it('opens the newest draft of the kinds the user may write; an amendment has its own', async () => {
    const { drafts } = await setup();
    await drafts.put('p1', 'nursing_visit', typed());
    await drafts.put('p1', 'note', { ...emptyState('note', '2026-12-04T10:05'), text: 'メモ' });
    await drafts.put('p1', 'nursing_visit', { ...typed(), text: '訂正中' }, 'rec-1');
    expect((await drafts.newest('p1', ['nursing_visit', 'note']))?.kind).toBe('note');
    expect((await drafts.newest('p1', ['nursing_visit']))?.kind).toBe('nursing_visit');
    expect((await drafts.get<{ text: string }>('p1', 'nursing_visit', 'rec-1'))?.state.text).toBe('訂正中');
    expect((await drafts.get<{ text: string }>('p1', 'nursing_visit'))?.state.text).toBe('下書き本文-秘密');
  });

  it('is gone once dropped (saved), and cannot be read without the key', async () => {
    const { drafts, vault } = await setup();
    await drafts.put('p1', 'nursing_visit', typed());
    await drafts.drop('p1', 'nursing_visit');
    expect(await drafts.get('p1', 'nursing_visit')).toBeUndefined();
    await drafts.put('p1', 'nursing_visit', typed());
    vault.lock();
    await expect(drafts.get('p1', 'nursing_visit')).rejects.toThrow();
  });

  it('survives a snapshot reset of its patient and goes with a purge', async () => {
    const { db, vault, ents, drafts } = await setup();
    await db.put('meta', 'c0', 'cursor');
    const page = (p: Partial<PullResponse>): PullResponse => ({ changes: [], cursor: 'c', has_more: false, resets: [], ...p });
    const answers: PullResponse[] = [
      page({ resets: [{ patient_id: 'p1', action: 'snapshot' }], cursor: 'c1' }),
      page({ resets: [{ patient_id: 'p1', action: 'purge' }], cursor: 'c2' }),
    ];
    const srv = fakeServer((c) => (c.query.get('patient_id') ? json(page({ cursor: c.query.get('cursor') ?? '' })) : json(answers.shift())));
    const puller = new Puller(db, vault, srv.api, { limit: 10 });
    await ents.put('record', { id: 'r1', patient_id: 'p1' });
    await drafts.put('p1', 'nursing_visit', typed());
    await puller.pull();
    expect(await ents.get('record', 'r1')).toBeUndefined();
    expect(await drafts.get('p1', 'nursing_visit')).toBeDefined();
    await puller.pull();
    expect(await drafts.get('p1', 'nursing_visit')).toBeUndefined();
  });
});
