package fhir

import (
	"bufio"

	"time"
)

// Bundle is the resources of one patient as a FHIR Bundle of type
// collection: each entry's fullUrl is "urn:uuid:<id>", which the
// references inside (RefURN) resolve to.
func Bundle(id string, timestamp time.Time, rs []Resource) Obj {
	entries := make(Arr, 0, len(rs))
	for _, r := range rs {
		entries = append(entries, Obj{"fullUrl", "urn:uuid:" + r.ID, "resource", r.Body})
	}
	return Obj{"resourceType", "Bundle", "id", id,
		"meta", Obj{"lastUpdated", timestamp.UTC().Format(time.RFC3339)},
		"type", "collection",
		"timestamp", timestamp.UTC().Format(time.RFC3339),
		"entry", entries}
}

// WriteNDJSON writes the resources of type typ (all when typ is "") as
// FHIR Bulk Data ndjson: one resource per line (RefRelative references).
func WriteNDJSON(w *bufio.Writer, typ string, rs []Resource) error {
	for _, r := range rs {
		if typ != "" && r.Type != typ {
			continue
		}
		b, err := Marshal(r.Body)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// BulkTypes are the resource types a bulk export writes, one file each,
// in this order.
var BulkTypes = []string{"Patient", "Organization", "Practitioner", "PractitionerRole", "CareTeam", "Consent",
	"Encounter", "Composition", "DocumentReference", "Observation"}
