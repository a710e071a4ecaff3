package api

import (
	"bytes"
	"context"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/careplan"
	"tsunagu/internal/store"
)

type CareplanMonthInput struct {
	Month string `query:"month" required:"true" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"YYYY-MM"`
}

// CareplanOffice is a care manager's office whose plans for the month the
// caller's facility imported, for one サービス種類 of the caller's (the
// standard sends 実績 「サービス種類コード＋事業所番号毎」), with the visits the
// caller reaches.
type CareplanOffice struct {
	OfficeNumber string `json:"office_number"`
	ServiceType  string `json:"service_type" doc:"the サービス種類コード of the visits (13 訪問看護…): one 実績 file each"`
	Planned      int    `json:"planned" doc:"imported visits of the month (any status)"`
	Done         int    `json:"done" doc:"of them done: the visits of the 実績 file"`
}

type CareplanOfficesOutput struct {
	Body struct {
		Month   string           `json:"month"`
		Offices []CareplanOffice `json:"offices"`
	}
}

func careplanMonth(v string) (time.Time, error) {
	m, ok := careplan.ParseMonth(v[:4] + v[5:])
	if !ok {
		return m, care.Invalid("query.month", "must be a month YYYY-MM that exists")
	}
	return m, nil
}

// careplanReachable keeps the imported visits of patients the caller reaches.
func (s *Server) careplanReachable(ctx context.Context, tx *store.Tx, pr *Principal, cs []store.CareplanVisit) []store.CareplanVisit {
	reach := map[string]bool{}
	var out []store.CareplanVisit
	for _, c := range cs {
		ok, known := reach[c.PatientID]
		if !known {
			_, err := s.access(ctx, tx, pr, c.PatientID, care.Shared, false)
			ok = err == nil
			reach[c.PatientID] = ok
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// listCareplanOffices lists, for a month, the care managers' offices whose
// 予定 files the caller's facility imported: whom a 実績 file goes back to.
// A facility without a 介護保険事業所番号, or nothing imported, lists none.
func (s *Server) listCareplanOffices(ctx context.Context, in *CareplanMonthInput) (*CareplanOfficesOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	month, err := careplanMonth(in.Month)
	if err != nil {
		return nil, err
	}
	out := &CareplanOfficesOutput{}
	out.Body.Month, out.Body.Offices = in.Month, []CareplanOffice{}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		if !pr.User.FacilityID.Valid {
			return nil
		}
		cs, err := tx.CareplanVisits(ctx, pr.User.FacilityID.String, month.Format("200601"), "")
		if err != nil {
			return err
		}
		by := map[string]*CareplanOffice{}
		for _, c := range s.careplanReachable(ctx, tx, pr, cs) {
			o := by[c.FromOffice+c.ServiceType]
			if o == nil {
				o = &CareplanOffice{OfficeNumber: c.FromOffice, ServiceType: c.ServiceType}
				by[c.FromOffice+c.ServiceType] = o
			}
			o.Planned++
			if c.Status == care.VisitDone {
				o.Done++
			}
		}
		for _, o := range by {
			out.Body.Offices = append(out.Body.Offices, *o)
		}
		sort.Slice(out.Body.Offices, func(i, j int) bool {
			a, b := out.Body.Offices[i], out.Body.Offices[j]
			return a.OfficeNumber < b.OfficeNumber || a.OfficeNumber == b.OfficeNumber && a.ServiceType < b.ServiceType
		})
		return nil
	})
	return out, err
}

type CareplanActualsInput struct {
	Month string `query:"month" required:"true" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"YYYY-MM"`
	To    string `query:"to" required:"true" pattern:"^[0-9]{10}$" doc:"the care manager's office (介護保険事業所番号) the 実績 goes back to"`
	// The standard names both ends' サービス種類コード in the file name (4.x).
	ServiceType string `query:"service_type" required:"true" pattern:"^[0-9A-Z]{2}$" doc:"the caller's サービス種類コード whose visits the file holds (13 訪問看護…), as the offices list gives it"`
	ToType      string `query:"to_type" pattern:"^[0-9A-Z]{2}$" default:"43" doc:"the care manager's office's サービス種類コード: 43 居宅介護支援 (default), 46 介護予防支援…"`
}

type CareplanActualsOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	CacheControl       string `header:"Cache-Control"`
	Body               []byte
}

// careplanActualsResponses documents the 実績 file, which is not JSON.
var careplanActualsResponses = map[string]*huma.Response{
	"200": {Description: "The month's 第6表 実績 file (UPJSK_…CSV) in Shift-JIS (MS932)",
		Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}}}},
}

// exportCareplanActuals writes the month's 実績 for one care manager's
// office and one サービス種類 of the caller's: the visits imported from its
// plans that are done, of patients the caller reaches, one row per patient,
// day, service code and time (サービス回数 the visits of that slot), at the
// day and time each was done. Audited per patient as an export.
func (s *Server) exportCareplanActuals(ctx context.Context, in *CareplanActualsInput) (*CareplanActualsOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	month, err := careplanMonth(in.Month)
	if err != nil {
		return nil, err
	}
	toType := in.ToType
	if toType == "" {
		toType = "43"
	}
	now := s.now()
	created := now.In(tokyo).Format("20060102")
	var rows []careplan.Row
	var fac store.Facility
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if fac, err = s.ownFacility(ctx, tx, pr); err != nil {
			return err
		}
		cs, err := tx.CareplanVisits(ctx, fac.ID, month.Format("200601"), in.To)
		if err != nil {
			return err
		}
		byKey := map[string]int{}
		patients := map[string]store.Patient{}
		var evs []*audit.Event
		for _, c := range s.careplanReachable(ctx, tx, pr, cs) {
			if c.Status != care.VisitDone || c.ServiceType != in.ServiceType {
				continue
			}
			start, end := inTokyo(c.StartsAt), inTokyo(c.EndsAt)
			if start.Year() != month.Year() || start.Month() != month.Month() {
				continue // moved out of the month
			}
			p, ok := patients[c.PatientID]
			if !ok {
				if p, err = tx.Patient(ctx, c.PatientID); err != nil {
					return err
				}
				patients[c.PatientID] = p
				evs = append(evs, s.event(ctx, pr, "careplan.export", c.PatientID, "careplan_actuals", in.Month))
			}
			endClock := end.Format("1504")
			if end.Day() != start.Day() {
				endClock = "2400"
			}
			code := c.ServiceType + c.ServiceItem
			key := c.PatientID + "|" + start.Format("20060102") + "|" + code + "|" + start.Format("1504") + "|" + endClock
			if i, ok := byKey[key]; ok {
				rows[i].Count++
				continue
			}
			byKey[key] = len(rows)
			// 「実績の場合はサービス事業者番号」 (更新業者コード); 単位数 is not
			// required and not known here.
			rows = append(rows, careplan.Row{Version: careplan.CSVVersion, InsurerNumber: p.InsurerNumber, InsuredNumber: p.InsuredNumber,
				CreatedOn: created, Month: month.Format("200601"), PlannerOffice: in.To, Date: start.Format("20060102"),
				Start: start.Format("1504"), End: endClock, Count: 1, Code: code, ProviderOffice: fac.OfficeNumber, ProviderName: fac.Name,
				Over30: "0", Updater: fac.OfficeNumber})
		}
		evs = append(evs, s.event(ctx, pr, "careplan.export", "", "careplan_actuals", in.Month))
		return audit.Append(ctx, tx, evs...)
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.InsuredNumber != b.InsuredNumber {
			return a.InsuredNumber < b.InsuredNumber
		}
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		return a.Start < b.Start
	})
	var b bytes.Buffer
	if err := careplan.Write(&b, rows); err != nil {
		return nil, err
	}
	name := careplan.Name{Prefix: careplan.PrefixActual, Month: month, From: fac.OfficeNumber, FromKind: in.ServiceType, To: in.To, ToKind: toType,
		Stamp: now.In(tokyo).Format("20060102150405")}
	return &CareplanActualsOutput{ContentType: "text/csv; charset=Shift_JIS", ContentDisposition: `attachment; filename="` + name.String() + `"`,
		CacheControl: "no-store", Body: b.Bytes()}, nil
}
