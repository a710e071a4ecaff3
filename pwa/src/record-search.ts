// Record search (C): what the app checks of a query before asking the server.

/** Words of the query as the server checks them: each at least 2 characters after NFKC. */
export function queryWords(q: string): string[] | null {
  const words = q.normalize('NFKC').trim().split(/\s+/).filter(Boolean);
  return words.length > 0 && words.every((w) => [...w].length >= 2) ? words : null;
}

