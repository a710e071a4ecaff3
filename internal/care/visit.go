package care

// Visit kinds of the shared calendar (診療カレンダー).
const (
	VisitNurse               = "nurse_visit"
	VisitDoctor              = "doctor_visit"
	VisitPharmacist          = "pharmacist_visit"
	VisitCareService         = "care_service"
	VisitCareConference      = "care_conference" // 担当者会議
	VisitHospitalAppointment = "hospital_appointment"
	VisitOther               = "other"
)

// VisitKinds lists every visit kind code.
var VisitKinds = []string{VisitNurse, VisitDoctor, VisitPharmacist, VisitCareService, VisitCareConference,
	VisitHospitalAppointment, VisitOther}

// Visit statuses.
const (
	VisitPlanned   = "planned"
	VisitDone      = "done"
	VisitCancelled = "cancelled"
	VisitMissed    = "missed"
)

// VisitStatuses lists every visit status code.
var VisitStatuses = []string{VisitPlanned, VisitDone, VisitCancelled, VisitMissed}

// MaxVisitNote is the longest note a visit or an occurrence carries.
const MaxVisitNote = 2000
