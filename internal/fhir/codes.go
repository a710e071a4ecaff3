package fhir

import (
	"crypto/sha1"

	"github.com/google/uuid"
)

// Code systems. International ones where a code exists (LOINC for the
// vital signs and document types, UCUM for units, HL7's own for categories
// and classes); Tsunagu's own, as URNs that name no server, for its own
// vocabularies (record kinds, visit kinds, team roles, professions,
// facility kinds) and for the Japan Coma Scale, which has no LOINC code.
const (
	SystemLOINC        = "http://loinc.org"
	SystemUCUM         = "http://unitsofmeasure.org"
	SystemObsCategory  = "http://terminology.hl7.org/CodeSystem/observation-category"
	SystemActCode      = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope"
	SystemDocRefStatus = "http://hl7.org/fhir/document-reference-status"
	// ExtNameRepresentation marks a HumanName as the ideographic (IDE,
	// kanji) or syllabic (SYL, kana) form of a Japanese name, as JP Core
	// does.
	ExtNameRepresentation = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"

	SystemRecordKind   = "urn:tsunagu:fhir:CodeSystem:record-kind"
	SystemDocumentType = "urn:tsunagu:fhir:CodeSystem:document-type"
	SystemVisitKind    = "urn:tsunagu:fhir:CodeSystem:visit-kind"
	SystemTeamRole     = "urn:tsunagu:fhir:CodeSystem:team-role"
	SystemProfession   = "urn:tsunagu:fhir:CodeSystem:profession"
	SystemFacilityKind = "urn:tsunagu:fhir:CodeSystem:facility-kind"
	SystemConsentKind  = "urn:tsunagu:fhir:CodeSystem:consent-scope"
	SystemObservation  = "urn:tsunagu:fhir:CodeSystem:observation"
	SystemJCS          = "urn:tsunagu:fhir:CodeSystem:japan-coma-scale"
	SystemSection      = "urn:tsunagu:fhir:CodeSystem:record-section"
	// SystemTsunaguID is the identifier system of Tsunagu's own ids.
	SystemTsunaguID = "urn:ietf:rfc:3986"
)

// VitalCode is how one vital sign of care.Vitals is coded.
type VitalCode struct {
	Key      string // the care.Vitals field (json name)
	LOINC    string
	Display  string
	Unit     string // UCUM code
	UnitText string // as shown
}

// Vital-sign codes (JP Core follows the R4 vital-signs profile: LOINC codes
// and UCUM units). Blood pressure is a panel whose components are the
// systolic and diastolic values; SpO2 carries the pulse-oximetry code next
// to the generic one, as the R4 oxygen-saturation profile requires.
var (
	VitalTemperature = VitalCode{"temperature_c", "8310-5", "Body temperature", "Cel", "°C"}
	VitalBPPanel     = VitalCode{"bp", "85354-9", "Blood pressure panel with all children optional", "", ""}
	VitalSystolic    = VitalCode{"bp_systolic", "8480-6", "Systolic blood pressure", "mm[Hg]", "mmHg"}
	VitalDiastolic   = VitalCode{"bp_diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]", "mmHg"}
	VitalPulse       = VitalCode{"pulse", "8867-4", "Heart rate", "/min", "/min"}
	VitalSpO2        = VitalCode{"spo2", "2708-6", "Oxygen saturation in Arterial blood", "%", "%"}
	VitalSpO2Pulse   = VitalCode{"spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%"}
	VitalRespiration = VitalCode{"respiration", "9279-1", "Respiratory rate", "/min", "/min"}
	VitalWeight      = VitalCode{"weight_kg", "29463-7", "Body weight", "kg", "kg"}
	// Pain on the 0–10 numeric rating scale, reported by the patient.
	VitalPain = VitalCode{"pain", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}", "{score}"}
)

// namespace is the UUIDv5 namespace of ids derived from Tsunagu's ids (an
// observation of a record's vitals, a series occurrence's encounter): the
// same source gives the same id in every export.
var namespace = uuid.NewHash(sha1.New(), uuid.NameSpaceURL, []byte("urn:tsunagu:fhir"), 5)

// DerivedID is the stable id of the resource named by parts (e.g. a
// record id and "bp").
func DerivedID(parts ...string) string {
	name := ""
	for i, p := range parts {
		if i > 0 {
			name += "/"
		}
		name += p
	}
	return uuid.NewSHA1(namespace, []byte(name)).String()
}

// Japanese labels of Tsunagu's codes, as the app shows them.
var (
	recordKindLabels = map[string]string{"nursing_visit": "訪問看護記録", "doctor_note": "診療記録", "medication": "服薬指導記録",
		"care_note": "ケアマネ記録", "note": "連絡メモ", "document": "書類"}
	visitKindLabels = map[string]string{"nurse_visit": "訪問看護", "doctor_visit": "訪問診療", "pharmacist_visit": "訪問薬剤管理指導",
		"care_service": "介護サービス", "care_conference": "サービス担当者会議", "hospital_appointment": "外来受診", "other": "その他"}
	teamRoleLabels = map[string]string{"primary_physician": "主治医", "deputy_physician": "副主治医", "visiting_nurse": "訪問看護師",
		"care_manager": "ケアマネジャー", "visiting_pharmacist": "訪問薬剤師", "nurse_aide": "看護助手", "helper": "ヘルパー", "other": "その他"}
	professionLabels = map[string]string{"doctor": "医師", "dentist": "歯科医師", "pharmacist": "薬剤師", "nurse": "看護師", "msw": "医療ソーシャルワーカー",
		"care_manager": "介護支援専門員", "care_worker": "介護職員", "therapist": "療法士", "dietitian": "管理栄養士", "other": "その他"}
	facilityKindLabels = map[string]string{"hospital": "病院", "clinic": "診療所", "dental_clinic": "歯科診療所", "pharmacy": "薬局",
		"nursing_station": "訪問看護ステーション", "care_management": "居宅介護支援事業所", "care_service": "介護サービス事業所", "other": "その他"}
	documentTypeLabels = map[string]string{"referral": "紹介状", "medical_info": "診療情報提供書", "prescription": "処方箋",
		"nursing_order": "訪問看護指示書", "consent": "同意書", "lab_result": "検査結果", "other": "その他"}
)

// recordKindLOINC are the LOINC document codes of the record kinds that
// have one; the others carry Tsunagu's code only.
var recordKindLOINC = map[string][2]string{
	"nursing_visit": {"34746-8", "Nurse Note"},
	"doctor_note":   {"11506-3", "Progress note"},
	"note":          {"34109-9", "Note"},
}

// documentTypeLOINC are the LOINC codes of the document types that have one.
var documentTypeLOINC = map[string][2]string{
	"referral":     {"57133-1", "Referral note"},
	"prescription": {"57833-6", "Prescription for medication"},
	"consent":      {"59284-0", "Patient Consent"},
	"lab_result":   {"11502-2", "Laboratory report"},
}
