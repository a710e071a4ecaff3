// Package care holds Tsunagu's domain vocabulary and rules: professions,
// team roles, facility kinds, and the access decision that every patient
// operation goes through. It does no I/O.
package care

import "slices"

// Professions of staff. The clinical ones may read chart content; which
// those are is configuration (Policy.ClinicalProfessions).
const (
	ProfDoctor      = "doctor"
	ProfDentist     = "dentist"
	ProfPharmacist  = "pharmacist"
	ProfNurse       = "nurse"
	ProfMSW         = "msw"
	ProfCareManager = "care_manager"
	ProfCareWorker  = "care_worker"
	ProfTherapist   = "therapist"
	ProfDietitian   = "dietitian"
	ProfOther       = "other"
)

// Professions lists every profession code in display order.
var Professions = []string{ProfDoctor, ProfDentist, ProfPharmacist, ProfNurse, ProfMSW,
	ProfCareManager, ProfCareWorker, ProfTherapist, ProfDietitian, ProfOther}

// DefaultClinicalProfessions are the professions that read the clinical
// record unless configured otherwise.
var DefaultClinicalProfessions = []string{ProfDoctor, ProfDentist, ProfPharmacist, ProfNurse, ProfMSW}

// Team roles of a patient's care team.
const (
	RolePrimaryPhysician   = "primary_physician"   // 主治医
	RoleDeputyPhysician    = "deputy_physician"    // 副主治医
	RoleVisitingNurse      = "visiting_nurse"      // 訪問看護師
	RoleCareManager        = "care_manager"        // ケアマネジャー
	RoleVisitingPharmacist = "visiting_pharmacist" // 訪問薬剤師
	RoleNurseAide          = "nurse_aide"          // 看護助手
	RoleHelper             = "helper"              // ヘルパー
	RoleOther              = "other"
)

// TeamRoles lists every team role code.
var TeamRoles = []string{RolePrimaryPhysician, RoleDeputyPhysician, RoleVisitingNurse, RoleCareManager,
	RoleVisitingPharmacist, RoleNurseAide, RoleHelper, RoleOther}

// FacilityKinds lists every facility kind code.
var FacilityKinds = []string{KindHospital, KindClinic, KindDentalClinic, KindPharmacy, KindNursingStation,
	KindCareManagement, KindCareService, KindOther}

// Disclosure of a facility: what its staff's chart content discloses to team
// members from other facilities.
const (
	DisclosureFull       = "full"
	DisclosureSharedOnly = "shared_only"
)

// Consent scopes: what the team may share once consent is given.
const (
	ConsentFull           = "full"            // chart, calendar and shared notes
	ConsentCalendarShared = "calendar_shared" // calendar and shared notes only
)

// ConsentScopes lists every consent scope code.
var ConsentScopes = []string{ConsentFull, ConsentCalendarShared}

// Sexes lists the accepted codes for a patient's sex.
var Sexes = []string{"female", "male", "other", "unknown"}

// Account statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
	StatusDormant   = "dormant"
)

// Valid reports whether code is one of codes.
func Valid(codes []string, code string) bool { return slices.Contains(codes, code) }

// DefaultRole is the team role a member of profession takes by default
// (the registrar of a patient joins the team with it).
func DefaultRole(profession string) string {
	switch profession {
	case ProfDoctor:
		return RolePrimaryPhysician
	case ProfNurse:
		return RoleVisitingNurse
	case ProfCareManager:
		return RoleCareManager
	case ProfPharmacist:
		return RoleVisitingPharmacist
	case ProfCareWorker:
		return RoleHelper
	}
	return RoleOther
}
