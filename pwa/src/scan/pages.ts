// The pages of a document being scanned, in order, and the checks before saving.
// Pure functions over a list, so the screen's reorder/retake/remove are tested here.

export const DOCUMENT_TYPES = ['referral', 'medical_info', 'prescription', 'nursing_order', 'consent', 'lab_result', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
/** The server's limit of attachments on one record (care.MaxAttachments). */
export const MAX_PAGES = 50;
/** The server's limit of a short text field (fields.title). */
export const MAX_TITLE = 200;

/** The list with the item at i moved by delta places (clamped); the same list when it cannot move. */
export function move<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = Math.max(0, Math.min(list.length - 1, i + delta));
  if (i < 0 || i >= list.length || i === j) return [...list];
  const out = [...list];
  const [x] = out.splice(i, 1);
  out.splice(j, 0, x!);
  return out;
}

export const remove = <T>(list: readonly T[], i: number): T[] => list.filter((_, k) => k !== i);

/** The list with item i replaced (a retake keeps the page's place); i = length appends. */
export function put<T>(list: readonly T[], i: number, item: T): T[] {
  if (i >= list.length) return [...list, item];
  return list.map((x, k) => (k === i ? item : x));
}

export type ScanProblem = 'title' | 'no_pages' | 'too_many';

/** What stops the document from being saved, field by field (empty: it can be saved). */
export function problems(title: string, pages: number): ScanProblem[] {
  const out: ScanProblem[] = [];
  if (!title.trim()) out.push('title');
  if (pages === 0) out.push('no_pages');
  if (pages > MAX_PAGES) out.push('too_many');
  return out;
}
