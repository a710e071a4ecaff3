// Reads an iCalendar document from stdin, parses it with ical.js and prints
// {name, events:[{uid, summary, start, end, allDay, url, status, sequence}]}
// as JSON (times as UTC ISO strings, all-day dates as YYYY-MM-DD). Any
// parse error exits non-zero.
import ICAL from 'ical.js';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const text = Buffer.concat(chunks).toString('utf8');
const cal = new ICAL.Component(ICAL.parse(text));
if (cal.name !== 'vcalendar') throw new Error(`not a calendar: ${cal.name}`);
const time = (t) => (t.isDate ? t.toString() : t.toJSDate().toISOString());
const events = cal.getAllSubcomponents('vevent').map((v) => {
  const e = new ICAL.Event(v);
  return {
    uid: e.uid,
    summary: e.summary,
    start: time(e.startDate),
    end: time(e.endDate),
    allDay: e.startDate.isDate,
    url: v.getFirstPropertyValue('url'),
    status: v.getFirstPropertyValue('status'),
    sequence: e.sequence,
    properties: v.getAllProperties().map((p) => p.name),
  };
});
process.stdout.write(JSON.stringify({ name: cal.getFirstPropertyValue('x-wr-calname'), events }));
