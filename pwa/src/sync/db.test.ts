import { describe, expect, it } from 'vitest';
import { deleteDatabase, getMeta, openDatabase, setMeta } from './db';
import { mustOpenDB } from './testing';
import { uuidv7 } from './uuid';

describe('db', () => {
  it('keeps meta values across reopening', async () => {
    const db = await mustOpenDB();
    await setMeta(db, 'cursor', 'c-42');
    const name = db.name;
    db.close();
    const again = await openDatabase(name);
    expect(await getMeta(again, 'cursor')).toBe('c-42');
    await deleteDatabase(again);
  });

  it('lists the outbox in seq order and entities by patient', async () => {
    const db = await mustOpenDB();
    const sealed = { iv: new Uint8Array(12), ct: new ArrayBuffer(1) };
    await db.put('outbox', { id: 'b', seq: 2, type: 'record.read', state: 'pending', sealed });
    await db.put('outbox', { id: 'a', seq: 1, type: 'record.read', state: 'pending', sealed });
    expect((await db.getAllFromIndex('outbox', 'seq')).map((r) => r.id)).toEqual(['a', 'b']);
    await db.put('entities', { key: 'record/r1', entity: 'record', id: 'r1', patient_id: 'p1', sealed });
    await db.put('entities', { key: 'record/r2', entity: 'record', id: 'r2', patient_id: 'p2', sealed });
    expect((await db.getAllFromIndex('entities', 'patient_id', 'p1')).map((r) => r.id)).toEqual(['r1']);
  });

  it('deleteDatabase removes it', async () => {
    const db = await mustOpenDB();
    const name = db.name;
    await deleteDatabase(db);
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).not.toContain(name);
  });
});

describe('uuidv7', () => {
  it('has version 7, variant 10 and sorts in creation order within a millisecond', () => {
    const ids = Array.from({ length: 50 }, () => uuidv7(1_700_000_000_000));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
    expect(ids[0]!.replace(/-/g, '').slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
  });
});
