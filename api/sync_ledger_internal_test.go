package api

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestMutationEnumIsTheTable holds the type enum of a mutation (what the
// OpenAPI document lists, and what the class tests walk) equal to the
// server's mutation table, so a new mutation type cannot escape them.
func TestMutationEnumIsTheTable(t *testing.T) {
	s := &Server{mutations: map[string]mutation{}}
	s.entityKinds()
	var table []string
	for typ, m := range s.mutations {
		table = append(table, typ)
		if _, ok := map[string]bool{"patient_id": true, "record_id": true, "visit_id": true}[m.pathArg]; !ok {
			t.Errorf("%s: path arg %q is not one auditRefused can place under a patient", typ, m.pathArg)
		}
	}
	sort.Strings(table)
	f, _ := reflect.TypeFor[MutationIn]().FieldByName("Type")
	enum := strings.Split(f.Tag.Get("enum"), ",")
	sort.Strings(enum)
	if !slices.Equal(table, enum) {
		t.Fatalf("mutation table %v, type enum %v", table, enum)
	}
}

// TestEveryMutationHasAnAnswerLoader: a resend rebuilds the answer with
// the loader of the mutation's type (sync_answers.go), so a mutation type
// added without one fails here (and TestDuplicateAnswerIsTheFirstAnswer
// needs its fixture).
func TestEveryMutationHasAnAnswerLoader(t *testing.T) {
	s := &Server{mutations: map[string]mutation{}}
	s.entityKinds()
	for typ, m := range s.mutations {
		if m.answer == nil {
			t.Errorf("mutation type %s has no answer loader: give it one with answeredBy", typ)
		}
	}
}
