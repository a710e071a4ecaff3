package api

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/fhir"
	"tsunagu/internal/store"
)

// A facility's patients as FHIR Bulk Data (ndjson), for a hand-over to
// another system. Who may start it: a network administrator (the network
// office) or an administrator of that facility. What it holds: for each
// patient registered at the facility, exactly what the caller reads of
// that patient by the access rules (the per-patient export's content), and
// nothing of the patients the caller does not reach. Being an
// administrator opens no chart: the rules give chart content to clinical
// members of a patient's team under a full consent only, and an export is
// a read like any other. A hand-over of a whole facility's charts is
// therefore run by (or with) a clinician on those teams, or patient by
// patient by their teams; a network administrator on no team gets the
// facility's directory entries only. docs/ARCHITECTURE.md "FHIR export".
//
// The manifest (GET /facilities/{id}/fhir) lists one file per resource
// type, as a Bulk Data export's complete status does; each file
// (GET /facilities/{id}/fhir/{type}) is streamed patient by patient, never
// built in memory, and every patient written is audited
// (fhir.bulk_export) before its lines leave.

const fhirNDJSON = "application/fhir+ndjson"

type FacilityFHIRInput struct {
	ID string `path:"id" format:"uuid"`
}

type BulkOutputFile struct {
	Type string `json:"type" doc:"the FHIR resource type of the file's lines"`
	URL  string `json:"url" doc:"the file; needs the same session"`
}

type BulkManifest struct {
	TransactionTime     time.Time        `json:"transactionTime"`
	Request             string           `json:"request"`
	RequiresAccessToken bool             `json:"requiresAccessToken" doc:"true: the files need the caller's session"`
	Output              []BulkOutputFile `json:"output"`
	Error               []BulkOutputFile `json:"error"`
}

type BulkManifestOutput struct{ Body BulkManifest }

type FacilityFHIRFileInput struct {
	ID   string `path:"id" format:"uuid"`
	Type string `path:"type" enum:"Patient,Organization,Practitioner,PractitionerRole,CareTeam,Consent,Encounter,Composition,DocumentReference,Observation"`
}

type BulkFileOutput struct {
	Body func(ctx huma.Context)
}

var bulkFileResponses = map[string]*huma.Response{
	"200": {Description: "FHIR Bulk Data ndjson: one resource of the type per line",
		Content: map[string]*huma.MediaType{fhirNDJSON: {Schema: &huma.Schema{Type: "string"}}}},
}

// bulkCaller checks that p may start a bulk export of facility id: a
// network admin, or an admin of that facility. An unknown facility is 404.
func (s *Server) bulkCaller(ctx context.Context, p *Principal, id string) (store.Facility, error) {
	var f store.Facility
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		f, err = tx.Facility(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return f, care.ErrNotFound
	}
	if err != nil {
		return f, err
	}
	if !p.Viewer.NetworkAdmin && !(p.Viewer.FacilityAdmin && p.Viewer.FacilityID == id) {
		return f, s.denied(ctx, p, "fhir.bulk_export", "", "facility", id, care.ErrForbidden)
	}
	return f, nil
}

func (s *Server) facilityFHIRManifest(ctx context.Context, in *FacilityFHIRInput) (*BulkManifestOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.bulkCaller(ctx, pr, in.ID); err != nil {
		return nil, err
	}
	base := s.opt.PublicURL + "/api/v1/facilities/" + in.ID + "/fhir"
	out := &BulkManifestOutput{Body: BulkManifest{TransactionTime: s.now().UTC(), Request: base, RequiresAccessToken: true,
		Output: []BulkOutputFile{}, Error: []BulkOutputFile{}}}
	for _, t := range fhir.BulkTypes {
		out.Body.Output = append(out.Body.Output, BulkOutputFile{Type: t, URL: base + "/" + t})
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, s.event(ctx, pr, "fhir.bulk_manifest", "", "facility", in.ID))
	})
	return out, err
}

// facilityFHIRFile streams one type's ndjson. The access check and the
// caller's facility check happen before the first byte; a failure after it
// ends the stream early (the status line is gone), logged with the request
// id only.
func (s *Server) facilityFHIRFile(ctx context.Context, in *FacilityFHIRFileInput) (*BulkFileOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	fac, err := s.bulkCaller(ctx, pr, in.ID)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		ids, err = tx.FacilityPatientIDs(ctx, in.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, s.event(ctx, pr, "fhir.bulk_export", "", "facility", in.ID))
	})
	if err != nil {
		return nil, err
	}
	return &BulkFileOutput{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", fhirNDJSON)
		hc.SetHeader("Cache-Control", "no-store")
		hc.SetStatus(http.StatusOK)
		bw := hc.BodyWriter()
		flusher, _ := bw.(http.Flusher)
		w := bufio.NewWriterSize(bw, 64<<10)
		if err := s.streamFacilityFHIR(ctx, pr, fac, in.Type, ids, w, flusher); err != nil {
			s.log.ErrorContext(ctx, "fhir bulk export ended early", "request_id", requestID(ctx), "err", err)
		}
		_ = w.Flush()
	}}, nil
}

// streamFacilityFHIR writes (after the facility's own Organization), patient by patient, the resources of type typ
// that pr reads. Organizations and Practitioners shared by several
// patients are written once.
func (s *Server) streamFacilityFHIR(ctx context.Context, pr *Principal, fac store.Facility, typ string, ids []string, w *bufio.Writer, flusher http.Flusher) error {
	seen := map[string]bool{}
	shared := slices.Contains([]string{"Organization", "Practitioner"}, typ)
	if typ == "Organization" {
		// The facility itself, a directory entry every caller here reads.
		seen[fac.ID] = true
		org := fhir.OrganizationOf(fhir.Organization{ID: fac.ID, Name: fac.Name, NameKana: fac.NameKana, Kind: fac.Kind})
		if err := fhir.WriteNDJSON(w, typ, []fhir.Resource{org}); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		var rs []fhir.Resource
		reached := false
		err := s.db.Read(ctx, func(tx *store.Tx) error {
			sc, err := s.access(ctx, tx, pr, id, care.Registration, false)
			if errors.Is(err, care.ErrNotFound) || errors.Is(err, care.ErrForbidden) || errors.Is(err, care.ErrChartForbidden) {
				return nil // a patient the caller does not reach is left out
			}
			if err != nil {
				return err // not a refusal: the export stops rather than leave a patient out unseen
			}
			reached = true
			fin, err := s.fhirInput(ctx, tx, pr, id, sc, time.Time{}, time.Time{})
			if err != nil {
				return err
			}
			rs = fhir.Build(fin, fhir.RefRelative)
			return nil
		})
		if err != nil {
			return err
		}
		if !reached {
			continue
		}
		keep := rs[:0]
		for _, r := range rs {
			if r.Type != typ || (shared && seen[r.ID]) {
				continue
			}
			if shared {
				seen[r.ID] = true
			}
			keep = append(keep, r)
		}
		// The view is recorded before its data leaves.
		if err := s.db.Write(ctx, func(tx *store.Tx) error {
			return audit.Append(ctx, tx, s.event(ctx, pr, "fhir.bulk_export", id, "patient", id))
		}); err != nil {
			return err
		}
		if err := fhir.WriteNDJSON(w, typ, keep); err != nil {
			return err
		}
		if w.Buffered() > 32<<10 {
			if err := w.Flush(); err != nil {
				return err
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	return nil
}
