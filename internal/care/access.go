package care

// Policy is the configurable part of the access rules.
type Policy struct {
	// ClinicalProfessions may read chart content.
	ClinicalProfessions []string
}

// Clinical reports whether profession may read the clinical record.
func (p Policy) Clinical(profession string) bool { return Valid(p.ClinicalProfessions, profession) }

// Viewer is the signed-in user as the access rules see them.
type Viewer struct {
	UserID        string
	FacilityID    string
	Profession    string
	NetworkAdmin  bool
	FacilityAdmin bool
}

// PatientFacts are what the rules need to know about one patient and one
// viewer; the store reads them in one indexed query.
type PatientFacts struct {
	Exists            bool
	PatientFacilityID string
	RegistrarID       string // the user who registered the patient
	OnTeam            bool
	TeamRole          string // the viewer's role when OnTeam
	ConsentActive     bool
	ConsentScope      string
}

// Level is how far a viewer reaches into one patient.
type Level int

const (
	// None: the patient is invisible; the API answers 404 as for an unknown id.
	None Level = iota
	// Registration: no active consent (before the first one, or after a
	// withdrawal); the registrar and the registering facility's admins see
	// the demographics and may complete consent and team. Nobody else does.
	Registration
	// Shared: a team member without chart rights sees the calendar, the team
	// and the multi-professional notes.
	Shared
	// Chart: a team member of a clinical profession, under a full consent,
	// also reads and writes the clinical record.
	Chart
)

// PatientAccess decides how far viewer v reaches patient f. It is the one
// place the rule lives: membership is the root of access, consent gates
// sharing, and the profession gates chart content.
func PatientAccess(p Policy, v Viewer, f PatientFacts) Level {
	if !f.Exists {
		return None
	}
	if f.ConsentActive && f.OnTeam {
		if p.Clinical(v.Profession) && f.ConsentScope == ConsentFull {
			return Chart
		}
		return Shared
	}
	if !f.ConsentActive && Registers(v, f) {
		return Registration
	}
	return None
}

// Registers reports whether the viewer holds the patient while no consent
// is active: the registrar (while still staff of the registering facility)
// or an admin of that facility. Their other colleagues, team members
// included, reach the patient only through an active consent: the patient
// has not agreed (or no longer agrees) to share with them.
func Registers(v Viewer, f PatientFacts) bool {
	if v.FacilityID == "" || v.FacilityID != f.PatientFacilityID {
		return false
	}
	return v.FacilityAdmin || v.UserID != "" && v.UserID == f.RegistrarID
}

// ConsentNeedsForm reports whether a new consent must cite the scanned,
// signed form: when the patient has had a consent and none is active (it
// was withdrawn). Sharing stopped because the patient said so; only their
// signature on paper starts it again. The first consent of a patient may
// be recorded before the form is scanned.
func ConsentNeedsForm(hadConsent, active bool) bool { return hadConsent && !active }

// CanManage reports whether the viewer may edit the patient's demographics,
// consents and team: staff of the registering facility, or the team's
// physicians and care manager. Without an active consent only those who
// register the patient (Registers) reach it at all, so only they manage.
func CanManage(v Viewer, f PatientFacts, level Level) bool {
	if level == None {
		return false
	}
	if v.FacilityID != "" && v.FacilityID == f.PatientFacilityID {
		return true
	}
	if !f.OnTeam {
		return false
	}
	switch f.TeamRole {
	case RolePrimaryPhysician, RoleDeputyPhysician, RoleCareManager:
		return true
	}
	return false
}

// CanManageUser reports whether admin may create or change account target
// (facility facilityID, network-admin flag targetNetworkAdmin). Network admins
// manage every account; facility admins only their own facility's staff and
// never network admins.
func CanManageUser(admin Viewer, facilityID string, targetNetworkAdmin bool) bool {
	if admin.NetworkAdmin {
		return true
	}
	return admin.FacilityAdmin && !targetNetworkAdmin && facilityID != "" && facilityID == admin.FacilityID
}
