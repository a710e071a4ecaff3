package api

import (
	"context"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type AuditInput struct {
	ActorID    string    `query:"actor_id" format:"uuid"`
	PatientID  string    `query:"patient_id" format:"uuid"`
	FacilityID string    `query:"facility_id" format:"uuid" doc:"actions by staff of this facility"`
	Action     string    `query:"action" maxLength:"64" pattern:"^[a-z_.]*$" doc:"exact action, or a prefix ending in '.' (e.g. session.)"`
	Result     string    `query:"result" enum:"ok,denied,failed"`
	From       time.Time `query:"from"`
	To         time.Time `query:"to"`
	Before     int64     `query:"before" minimum:"0" doc:"keyset paging: events older than this seq"`
	Limit      int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type AuditOutput struct {
	Body struct {
		Events []audit.Event `json:"events"`
		Next   int64         `json:"next,omitempty" doc:"pass as before= for the next page"`
	}
}

// listAudit: network admins query the whole log; facility admins the actions
// of their own facility's staff.
func (s *Server) listAudit(ctx context.Context, in *AuditInput) (*AuditOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	f := audit.Filter{ActorID: in.ActorID, PatientID: in.PatientID, ActorFacility: in.FacilityID, Action: in.Action,
		Result: in.Result, From: in.From, To: in.To, BeforeSeq: in.Before, Limit: in.Limit}
	switch {
	case p.Viewer.NetworkAdmin:
	case p.Viewer.FacilityAdmin:
		f.ActorFacility = p.Viewer.FacilityID
	default:
		return nil, s.denied(ctx, p, "audit.read", in.PatientID, "audit", "", &care.Error{Code: care.CodeAdminOnly})
	}
	out := &AuditOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		evs, err := audit.Query(ctx, tx, f)
		if err != nil {
			return err
		}
		out.Body.Events = evs
		if len(evs) == f.Limit && len(evs) > 0 {
			out.Body.Next = evs[len(evs)-1].Seq
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "audit.read", in.PatientID, "audit", ""))
	})
	return out, err
}
