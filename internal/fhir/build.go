package fhir

import (
	"html"
	"sort"
	"strings"
	"time"

	"tsunagu/internal/care"
)

// Resource is one FHIR resource: its type, id and JSON.
type Resource struct {
	Type, ID string
	Body     Obj
}

// RefStyle is how resources refer to each other.
type RefStyle int

const (
	// RefURN: "urn:uuid:<id>", resolved against the fullUrl of a Bundle's
	// entries (every id is a UUID).
	RefURN RefStyle = iota
	// RefRelative: "Type/<id>", as Bulk Data ndjson files refer.
	RefRelative
)

type builder struct {
	in    Input
	style RefStyle
	out   []Resource
	// encounterOf maps a record to the encounter of the visit it was
	// written for.
	encounterOf map[string]string
	people      map[string]Person
}

// Build returns the resources of in, in a fixed order (Patient,
// Organizations, Practitioners, PractitionerRoles, CareTeam, Consents,
// Encounters, then per record its Composition or DocumentReference and
// Observations), so the same data always exports the same.
func Build(in Input, style RefStyle) []Resource {
	if in.Loc == nil {
		in.Loc = time.UTC
	}
	b := &builder{in: in, style: style, encounterOf: map[string]string{}, people: map[string]Person{}}
	for _, p := range in.People {
		b.people[p.ID] = p
	}
	single := map[string]bool{}
	for _, e := range in.Encounters {
		if e.RecordID != "" {
			b.encounterOf[e.RecordID] = e.ID()
		}
		if e.OccurrenceStart == nil {
			single[e.VisitID] = true
		}
	}
	// A record written for a single visit names it (visit_id); one written
	// for a series' occurrence is known from the occurrence's record.
	for _, r := range in.Records {
		if _, ok := b.encounterOf[r.ID]; !ok && single[r.VisitID] {
			b.encounterOf[r.ID] = r.VisitID
		}
	}
	b.patient()
	for _, o := range in.Organizations {
		b.organization(o)
	}
	for _, p := range in.People {
		b.practitioner(p)
	}
	for _, m := range in.Team {
		b.practitionerRole(m)
	}
	if len(in.Team) > 0 {
		b.careTeam()
	}
	for _, c := range in.Consents {
		b.consent(c)
	}
	for _, e := range in.Encounters {
		b.encounter(e)
	}
	recs := append([]Record(nil), in.Records...)
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].OccurredAt.Equal(recs[j].OccurredAt) {
			return recs[i].OccurredAt.Before(recs[j].OccurredAt)
		}
		return recs[i].ID < recs[j].ID
	})
	for _, r := range recs {
		b.record(r)
	}
	return b.out
}

func (b *builder) add(typ, id string, body ...any) {
	b.out = append(b.out, Resource{Type: typ, ID: id, Body: append(Obj{"resourceType", typ, "id", id}, body...)})
}

func (b *builder) ref(typ, id string) Obj {
	if id == "" {
		return nil
	}
	if b.style == RefURN {
		return Obj{"reference", "urn:uuid:" + id}
	}
	return Obj{"reference", typ + "/" + id}
}

func (b *builder) patientRef() Obj { return b.ref("Patient", b.in.Patient.ID) }

// practitionerRef refers to a staff member the export names (People).
func (b *builder) practitionerRef(id string) Obj {
	if _, ok := b.people[id]; !ok {
		return nil
	}
	return b.ref("Practitioner", id)
}

func (b *builder) dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(b.in.Loc).Format("2006-01-02T15:04:05-07:00")
}

func coding(system, code, display string) Obj {
	return Obj{"system", system, "code", code, "display", display}
}

func concept(text string, codings ...Obj) Obj {
	a := Arr{}
	for _, c := range codings {
		a = append(a, c)
	}
	return Obj{"coding", a, "text", text}
}

// narrative is a resource's human-readable text: each line a paragraph.
func narrative(lines ...string) Obj {
	var sb strings.Builder
	sb.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml">`)
	n := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n++
		sb.WriteString("<p>")
		sb.WriteString(strings.ReplaceAll(html.EscapeString(l), "\n", "<br/>"))
		sb.WriteString("</p>")
	}
	if n == 0 {
		return nil
	}
	sb.WriteString("</div>")
	return Obj{"status", "generated", "div", sb.String()}
}

// names are a Japanese name as JP Core writes it: the kanji form (IDE)
// and the kana form (SYL), each split into family and given name at the
// first space when it has one.
func names(name, kana string) Arr {
	one := func(s, rep string) Obj {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n := Obj{"extension", Arr{Obj{"url", ExtNameRepresentation, "valueCode", rep}}, "use", "official", "text", s}
		if f, g, ok := strings.Cut(strings.ReplaceAll(s, "\u3000", " "), " "); ok && strings.TrimSpace(g) != "" {
			n = append(n, "family", strings.TrimSpace(f), "given", Arr{strings.TrimSpace(g)})
		}
		return n
	}
	return Arr{one(name, "IDE"), one(kana, "SYL")}
}

func (b *builder) patient() {
	p := b.in.Patient
	gender := p.Sex
	if !care.Valid(care.Sexes, gender) {
		gender = "unknown"
	}
	var birth string
	if _, err := time.Parse(time.DateOnly, p.BirthDate); err == nil {
		birth = p.BirthDate
	}
	var telecom Arr
	if p.Phone != "" {
		telecom = Arr{Obj{"system", "phone", "value", p.Phone, "use", "home"}}
	}
	var address Arr
	if p.Address != "" {
		address = Arr{Obj{"use", "home", "text", p.Address, "country", "JP"}}
	}
	b.add("Patient", p.ID,
		"identifier", Arr{Obj{"system", SystemTsunaguID, "value", "urn:uuid:" + p.ID}},
		"active", true,
		"name", names(p.Name, p.NameKana),
		"telecom", telecom,
		"gender", gender,
		"birthDate", birth,
		"address", address,
		"managingOrganization", b.ref("Organization", p.FacilityID))
}

func (b *builder) organization(o Organization) {
	var alias Arr
	if o.NameKana != "" {
		alias = Arr{o.NameKana}
	}
	b.add("Organization", o.ID,
		"active", true,
		"type", Arr{concept(facilityKindLabels[o.Kind], coding(SystemFacilityKind, o.Kind, facilityKindLabels[o.Kind]))},
		"name", o.Name,
		"alias", alias)
}

func (b *builder) practitioner(p Person) {
	b.add("Practitioner", p.ID,
		"active", p.Active,
		"name", names(p.Name, p.NameKana))
}

func (b *builder) practitionerRole(m Member) {
	b.add("PractitionerRole", m.ID,
		"active", true,
		"period", Obj{"start", b.dateTime(m.AddedAt)},
		"practitioner", b.practitionerRef(m.UserID),
		"organization", b.ref("Organization", m.FacilityID),
		"code", Arr{
			concept(professionLabels[m.Profession], coding(SystemProfession, m.Profession, professionLabels[m.Profession])),
			concept(teamRoleLabels[m.Role], coding(SystemTeamRole, m.Role, teamRoleLabels[m.Role])),
		})
}

func (b *builder) careTeam() {
	var parts Arr
	for _, m := range b.in.Team {
		parts = append(parts, Obj{
			"role", Arr{concept(teamRoleLabels[m.Role], coding(SystemTeamRole, m.Role, teamRoleLabels[m.Role]))},
			// The member is the Practitioner (ctm-1: onBehalfOf only with a
			// Practitioner member); their PractitionerRole has the same role.
			"member", b.practitionerRef(m.UserID),
			"onBehalfOf", b.ref("Organization", m.FacilityID),
			"period", Obj{"start", b.dateTime(m.AddedAt)},
		})
	}
	b.add("CareTeam", DerivedID(b.in.Patient.ID, "care-team"),
		"status", "active",
		"name", "在宅療養チーム",
		"subject", b.patientRef(),
		"participant", parts,
		"managingOrganization", Arr{b.ref("Organization", b.in.Patient.FacilityID)})
}

func (b *builder) consent(c Consent) {
	status, end := "active", ""
	if c.WithdrawnAt != nil {
		status, end = "inactive", b.dateTime(*c.WithdrawnAt)
	}
	scopeText := map[string]string{care.ConsentFull: "診療記録・予定・共有記録の共有", care.ConsentCalendarShared: "予定・共有記録のみの共有"}[c.Scope]
	var source Obj
	if len(c.Pages) > 0 {
		id := DerivedID(c.ID, "form")
		source = b.ref("DocumentReference", id)
		b.documentReference(id, "current", "", concept("同意書", coding(SystemLOINC, "59284-0", "Patient Consent"), coding(SystemDocumentType, "consent", "同意書")),
			c.RecordedAt, c.RecordedBy, "同意書 (署名済み)", c.Pages, Obj{"related", Arr{b.ref("Consent", c.ID)}})
	}
	var start string
	if _, err := time.Parse(time.DateOnly, c.ObtainedOn); err == nil {
		start = c.ObtainedOn
	}
	b.add("Consent", c.ID,
		"status", status,
		"scope", concept("情報共有への同意", coding(SystemConsentScope, "patient-privacy", "Privacy Consent")),
		"category", Arr{concept("同意書", coding(SystemLOINC, "59284-0", "Patient Consent"))},
		"patient", b.patientRef(),
		"dateTime", start,
		"performer", Arr{b.patientRef()},
		"organization", Arr{b.ref("Organization", b.in.Patient.FacilityID)},
		"sourceReference", source,
		"policyRule", concept("在宅療養チーム内の情報共有 (オプトイン)", coding(SystemActCode, "OPTIN", "opt-in")),
		"provision", Obj{
			"type", "permit",
			"period", Obj{"start", start, "end", end},
			"actor", Arr{Obj{
				"role", concept("在宅療養チーム", coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient")),
				"reference", b.ref("CareTeam", DerivedID(b.in.Patient.ID, "care-team")),
			}},
			"code", Arr{concept(scopeText, coding(SystemConsentKind, c.Scope, scopeText))},
		})
}

func (b *builder) encounter(e Encounter) {
	class := coding(SystemActCode, "HH", "home health")
	if e.Kind == "hospital_appointment" {
		class = coding(SystemActCode, "AMB", "ambulatory")
	}
	var parts Arr
	for _, id := range e.AssigneeIDs {
		if ref := b.practitionerRef(id); ref != nil {
			parts = append(parts, Obj{"individual", ref})
		}
	}
	start, end := b.dateTime(e.Start), b.dateTime(e.End)
	if e.AllDay {
		start, end = e.Start.In(b.in.Loc).Format(time.DateOnly), e.End.In(b.in.Loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	b.add("Encounter", e.ID(),
		"status", "finished",
		"class", class,
		"type", Arr{concept(visitKindLabels[e.Kind], coding(SystemVisitKind, e.Kind, visitKindLabels[e.Kind]))},
		"subject", b.patientRef(),
		"participant", parts,
		"period", Obj{"start", start, "end", end})
}

// documentReference adds a DocumentReference of attachments ids (those
// the input describes), each downloadable with a session only.
func (b *builder) documentReference(id, status, docStatus string, typ Obj, date time.Time, author, description string, ids []string, context Obj) {
	var content Arr
	for i, aid := range ids {
		a, ok := b.in.Attachments[aid]
		if !ok {
			continue
		}
		url := ""
		if b.in.AttachmentURL != nil {
			url = b.in.AttachmentURL(a.ID)
		}
		var size any
		if a.Size > 0 {
			size = a.Size
		}
		title := description
		if len(ids) > 1 {
			title = description + " " + itoa(i+1) + "/" + itoa(len(ids))
		}
		content = append(content, Obj{"attachment", Obj{
			"contentType", a.ContentType, "url", url, "size", size, "title", title, "creation", b.dateTime(a.UploadedAt)}})
	}
	if len(content) == 0 {
		return
	}
	b.add("DocumentReference", id,
		"status", status,
		"docStatus", docStatus,
		"type", typ,
		"subject", b.patientRef(),
		"date", b.dateTime(date),
		"author", Arr{b.practitionerRef(author)},
		"description", description,
		"content", content,
		"context", context)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

// OrganizationOf is the Organization of one facility on its own (the first
// line of a facility's Bulk Data Organization file).
func OrganizationOf(o Organization) Resource {
	b := &builder{}
	b.organization(o)
	return b.out[0]
}
