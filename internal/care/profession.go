package care

import "slices"

// Facility kinds.
const (
	KindHospital       = "hospital"
	KindClinic         = "clinic"
	KindDentalClinic   = "dental_clinic"
	KindPharmacy       = "pharmacy"
	KindNursingStation = "nursing_station" // 訪問看護ステーション
	KindCareManagement = "care_management" // 居宅介護支援事業所
	KindCareService    = "care_service"    // 訪問介護・通所などの介護サービス事業所
	KindOther          = "other"
)

// Employs is the one table of which professions a facility of each kind
// employs: its facility admin may give these, and only these, to its own
// staff. Any other profession (above all a clinical one, which opens chart
// content) is granted by the network office (a network admin), which checks
// the licence. A kind missing here employs no one but "other".
var Employs = map[string][]string{
	// 病院: every profession of a ward and its outpatient, discharge
	// planning (MSW) and rehabilitation departments; care managers work in
	// care-management offices, not hospitals.
	KindHospital: {ProfDoctor, ProfDentist, ProfPharmacist, ProfNurse, ProfMSW, ProfTherapist, ProfDietitian, ProfCareWorker, ProfOther},
	// 診療所 (including 在宅療養支援診療所): doctors, nurses, the clinic's
	// social worker, rehabilitation and nutrition staff.
	KindClinic: {ProfDoctor, ProfNurse, ProfMSW, ProfTherapist, ProfDietitian, ProfOther},
	// 歯科診療所: dentists; dental hygienists are "other".
	KindDentalClinic: {ProfDentist, ProfDietitian, ProfOther},
	// 薬局: pharmacists and the pharmacy's dietitian.
	KindPharmacy: {ProfPharmacist, ProfDietitian, ProfOther},
	// 訪問看護ステーション: nurses and the visiting PT/OT/ST.
	KindNursingStation: {ProfNurse, ProfTherapist, ProfOther},
	// 居宅介護支援事業所: care managers (and care workers who assist them).
	KindCareManagement: {ProfCareManager, ProfCareWorker, ProfOther},
	// 介護サービス事業所: care workers.
	KindCareService: {ProfCareWorker, ProfOther},
	KindOther:       {ProfOther},
}

// FacilityEmploys reports whether a facility of kind employs profession.
func FacilityEmploys(kind, profession string) bool {
	if ps, ok := Employs[kind]; ok {
		return slices.Contains(ps, profession)
	}
	return profession == ProfOther
}

// CanGrantProfession reports whether admin may give profession to a member
// of staff of a facility of kind facilityKind (whom CanManageUser already
// lets them manage): network admins give any profession, facility admins
// only those their facility's kind employs.
func CanGrantProfession(admin Viewer, facilityKind, profession string) bool {
	if admin.NetworkAdmin {
		return true
	}
	return admin.FacilityAdmin && FacilityEmploys(facilityKind, profession)
}

// OwnAccountChange reports which of the fields a user may never change on
// their own account they are changing: their profession, roles, facility
// or status (the facility or network office does it for them). The result
// is the names of the fields that differ, empty when none does.
func OwnAccountChange(before, after Account) []string {
	var changed []string
	if before.Profession != after.Profession {
		changed = append(changed, "profession")
	}
	if before.NetworkAdmin != after.NetworkAdmin || before.FacilityAdmin != after.FacilityAdmin {
		changed = append(changed, "roles")
	}
	if before.FacilityID != after.FacilityID {
		changed = append(changed, "facility_id")
	}
	if before.Status != after.Status {
		changed = append(changed, "status")
	}
	return changed
}

// Account is the part of an account the vertical rules look at.
type Account struct {
	FacilityID    string
	Profession    string
	NetworkAdmin  bool
	FacilityAdmin bool
	Status        string
}
