package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/gencache"
	"tsunagu/internal/store"
)

// A pull page is up to 1,000 entities, most of them records, and encoding
// them by reflection was a fifth of the server's CPU for a page (and most
// of its garbage). So the pull writes its answer itself: each record's
// JSON is made once per store.RecordKey (what it says never changes for
// that key, see internal/store/recordcache.go) and kept, and a page
// splices the viewer's read state into it. The bytes are those
// encoding/json writes for the same answer (TestPullJSONIsEncodingJSON);
// the API description still documents PullOutputBody.

// encodedRecordsBytes is what a generation of the encoded records
// weighs: 32 to 64 MB, some 50,000 records of 500 characters, the newest
// hundred of 500 patients. The timeline answers from it too
// (records_lists.go), so that a patient opened again reads no record
// from the database. Its values hold no pointers: the collector does
// not scan them, whatever their number.
const encodedRecordsBytes = 32 << 20

// readStateTail is how RecordOut's JSON ends when its read state is zero:
// the two fields are the struct's last, and a page writes them itself.
const readStateTail = `,"read_count":0,"read_by_me":false}`

// encodedRecord is a record entity of a pull: RecordOut as JSON without
// its read state, and the read state of the viewer.
type encodedRecord struct {
	head      []byte // RecordOut's JSON up to its read state; nil: use out
	out       *RecordOut
	readCount int
	readByMe  bool
}

func (r encodedRecord) appendJSON(buf []byte) []byte {
	if r.head == nil {
		out := *r.out
		out.ReadCount, out.ReadByMe = r.readCount, r.readByMe
		return appendJSONValue(buf, out)
	}
	buf = append(buf, r.head...)
	buf = append(buf, `,"read_count":`...)
	buf = strconv.AppendInt(buf, int64(r.readCount), 10)
	buf = append(buf, `,"read_by_me":`...)
	buf = strconv.AppendBool(buf, r.readByMe)
	return append(buf, '}')
}

// MarshalJSON is the same JSON, for encoders other than the pull's.
func (r encodedRecord) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// pullRecord returns the pull entity of a record as the viewer reads it.
func (s *Server) pullRecord(it store.TimelineItem) encodedRecord {
	k := it.Key()
	head, ok := s.encoded.Get(k)
	if !ok {
		out := recordOut(it.Record, it.Current, 0, false)
		b := appendRecordJSON(make([]byte, 0, 640+len(it.Current.Content.Text)), &out)
		if bytes.HasSuffix(b, []byte(readStateTail)) {
			head = b[:len(b)-len(readStateTail)]
			s.encoded.Put(k, head)
		} else {
			// RecordOut's fields were reordered: still right, only slower
			// (TestPullJSONIsEncodingJSON fails on this path).
			return encodedRecord{out: &out, readCount: it.ReadCount, readByMe: it.ReadByMe}
		}
	}
	return encodedRecord{head: head, readCount: it.ReadCount, readByMe: it.ReadByMe}
}

// pullRecords puts the pull entities of those of the records scope reads.
// Most records of a page were encoded before under the key they have now:
// those are found by key alone, and only the others are read whole.
func (s *Server) pullRecords(ctx context.Context, tx *store.Tx, scope care.RecordScope, ids []string, put func(string, any)) error {
	refs, err := tx.RecordRefsByIDs(ctx, scope, ids)
	if err != nil {
		return err
	}
	keys := make([]store.RecordKey, len(refs))
	for i, r := range refs {
		keys[i] = r.Key
	}
	heads, found := make([][]byte, len(refs)), make([]bool, len(refs))
	s.encoded.GetMany(keys, heads, found)
	var missing []string
	for i, r := range refs {
		if found[i] {
			put(r.Key.ID, encodedRecord{head: heads[i], readCount: r.ReadCount, readByMe: r.ReadByMe})
		} else {
			missing = append(missing, r.Key.ID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	items, err := tx.RecordsByIDs(ctx, scope, missing)
	if err != nil {
		return err
	}
	for _, it := range items {
		put(it.ID, s.pullRecord(it))
	}
	return nil
}

func newEncodedRecords() *gencache.Cache[store.RecordKey, []byte] {
	return gencache.NewSized[store.RecordKey, []byte](encodedRecordsBytes, func(b []byte) int { return len(b) + 64 })
}

var pullBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// pullOutput encodes body, now, while the pull holds its slot
// (pullslots.go), and answers it once the handler returns: a slow link
// then holds a buffer, not a slot.
// writeJSON answers 200 with buf, JSON the handler wrote itself (the
// pull's and the timeline's answers).
func writeJSON(ctx huma.Context, buf []byte) {
	ctx.SetHeader("Content-Type", "application/json")
	ctx.SetHeader("Content-Length", strconv.Itoa(len(buf)))
	ctx.SetStatus(200)
	_, _ = ctx.BodyWriter().Write(buf)
}

func pullOutput(body *PullOutputBody) *PullOutput {
	bp := pullBuffers.Get().(*[]byte)
	buf := appendPullJSON((*bp)[:0], body)
	return &PullOutput{Body: func(ctx huma.Context) {
		writeJSON(ctx, buf)
		if cap(buf) <= 4<<20 { // keep the pool from holding on to outliers
			*bp = buf
			pullBuffers.Put(bp)
		}
	}}
}

// appendPullJSON appends body as encoding/json writes it (with HTML
// escaping off, as huma's JSON format has it), field by field.
func appendPullJSON(buf []byte, body *PullOutputBody) []byte {
	buf = append(buf, `{"changes":[`...)
	for i, c := range body.Changes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"entity":`...)
		buf = appendJSONText(buf, c.Entity)
		buf = append(buf, `,"op":`...)
		buf = appendJSONText(buf, c.Op)
		buf = append(buf, `,"id":`...)
		buf = appendJSONText(buf, c.ID)
		buf = append(buf, `,"patient_id":`...)
		buf = appendJSONText(buf, c.PatientID)
		if c.Data != nil {
			buf = append(buf, `,"data":`...)
			if r, ok := c.Data.(encodedRecord); ok {
				buf = r.appendJSON(buf)
			} else {
				buf = appendJSONValue(buf, c.Data)
			}
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `],"cursor":`...)
	buf = appendJSONText(buf, body.Cursor)
	buf = append(buf, `,"has_more":`...)
	buf = strconv.AppendBool(buf, body.HasMore)
	buf = append(buf, `,"resets":`...)
	buf = appendJSONValue(buf, body.Resets)
	return append(buf, "}\n"...)
}

// appendJSONValue appends v as huma's JSON format encodes it, without the
// encoder's newline.
func appendJSONValue(buf []byte, v any) []byte {
	w := bytes.NewBuffer(buf)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values of this package's own types reach here, and they
		// all encode; a failure is a programming error.
		panic("pull: encode " + err.Error())
	}
	return bytes.TrimSuffix(w.Bytes(), []byte{'\n'})
}
