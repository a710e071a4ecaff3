// Package fhir turns what a caller may read of one patient into FHIR R4
// resources (JP Core-aligned): Patient, Organization, Practitioner,
// PractitionerRole, CareTeam, Consent, Encounter, Observation (vital
// signs), Composition (a record's text) and DocumentReference (scanned
// documents and photos). It does no I/O and decides no access: the caller
// passes in only what the access rules let the caller read (api/fhir.go),
// so a resource is exported exactly when its source is readable.
//
// Resources are written as ordered JSON objects (Obj) rather than Go
// structs: FHIR has hundreds of optional elements, and the few this export
// fills read best in the order the specification lists them.
package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Obj is a JSON object whose keys keep the order they were given in:
// alternating key (string) and value. Empty values are left out, as FHIR
// forbids empty elements: nil, "", an empty Obj, an empty slice.
type Obj []any

// Arr is a JSON array whose empty members are left out.
type Arr []any

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case Obj:
		for i := 1; i < len(x); i += 2 {
			if !empty(x[i]) {
				return false
			}
		}
		return true
	case Arr:
		for _, e := range x {
			if !empty(e) {
				return false
			}
		}
		return true
	case []string:
		return len(x) == 0
	case *int:
		return x == nil
	case *float64:
		return x == nil
	case *bool:
		return x == nil
	}
	return false
}

// MarshalJSON writes o with its keys in order, leaving out empty values.
func (o Obj) MarshalJSON() ([]byte, error) {
	if len(o)%2 != 0 {
		return nil, fmt.Errorf("fhir: object with a key and no value: %v", o[len(o)-1])
	}
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for i := 0; i < len(o); i += 2 {
		k, ok := o[i].(string)
		if !ok {
			return nil, fmt.Errorf("fhir: object key %v is not a string", o[i])
		}
		if empty(o[i+1]) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshal(o[i+1])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes a, leaving out empty members.
func (a Arr) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	n := 0
	for _, e := range a {
		if empty(e) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		vb, err := marshal(e)
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping: narratives carry XHTML,
// which "\u003c" would only make harder to read (both are valid JSON).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Marshal encodes a resource or bundle as compact JSON.
func Marshal(v any) ([]byte, error) { return marshal(v) }

// Get returns the value of key in o (nil when absent).
func (o Obj) Get(key string) any {
	for i := 0; i+1 < len(o); i += 2 {
		if o[i] == key {
			return o[i+1]
		}
	}
	return nil
}
