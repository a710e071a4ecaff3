// The care-plan data standard (ケアプランデータ連携) on the device: the 介護保険
// numbers' rules (the server's internal/careplan/numbers.go, checked here first
// so the form tells at once), and reading the server's refusal of a 第6表 file
// into the row and column it names.

/** The check digit of a 保険者番号 from its first five digits (weights 2,1,2,1,2). */
export function insurerCheckDigit(first5: string): string {
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    const p = Number(first5[i]) * (i % 2 === 0 ? 2 : 1);
    sum += Math.floor(p / 10) + (p % 10);
  }
  return String((10 - (sum % 10)) % 10);
}

/** 6 digits, the last the check digit of the first five. */
export const validInsurer = (s: string): boolean => /^[0-9]{6}$/.test(s) && insurerCheckDigit(s.slice(0, 5)) === s[5];
/** 10 digits (no national check digit), or H and 9 digits for a person on public assistance alone (生保単独). */
export const validInsured = (s: string): boolean => /^(?:[0-9]{10}|H[0-9]{9})$/.test(s);

/** Where a refused file breaks the standard, from a problem's error (location + message). */
export interface FileFault {
  row?: number;
  column?: number;
  /** The column's Japanese name (日本語名称), when the error names a column. */
  name?: string;
  /** The rule, as the server states it (English; the screen translates it). */
  rule: string;
  /** The file's name, rather than its content, breaks the rule. */
  inName: boolean;
}

/** Reads `body.rows[3].columns[14]` + `1日: must be …` (or a rule alone) into a FileFault. */
export function fileFault(e: { location?: string; message?: string }): FileFault {
  const loc = e.location ?? '';
  const msg = e.message ?? '';
  const row = /rows\[(\d+)\]/.exec(loc)?.[1];
  const col = /columns\[(\d+)\]/.exec(loc)?.[1];
  const f: FileFault = { rule: msg, inName: loc.startsWith('query.') };
  if (row) f.row = Number(row);
  if (col) {
    f.column = Number(col);
    const i = msg.indexOf(': ');
    if (i > 0) {
      f.name = msg.slice(0, i);
      f.rule = msg.slice(i + 2);
    }
  }
  return f;
}

/** YYYY-MM of a date in Tokyo. */
export const monthOfDay = (day: string): string => day.slice(0, 7);
