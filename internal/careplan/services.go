package careplan

// VisitKind is the kind of calendar visit a row of サービス種類コード
// serviceType becomes at a provider of facility kind facilityKind, and
// false for a service that is no visit at a time (福祉用具貸与 and the like,
// which are months, not slots). The codes are those of the 介護給付費
// service code table (サービスコード表).
func VisitKind(serviceType, facilityKind string) (string, bool) {
	switch serviceType {
	case "13", "63": // 訪問看護, 介護予防訪問看護
		return "nurse_visit", true
	case "31", "34": // 居宅療養管理指導, 介護予防居宅療養管理指導
		switch facilityKind {
		case "pharmacy":
			return "pharmacist_visit", true
		case "nursing_station":
			return "nurse_visit", true
		}
		return "doctor_visit", true
	case "11", "12", "14", "15", "16", "21", "22", "62", "64", "65", "66", "71", "72", "73", "76", "77", "78",
		"A2", "A3", "A4", "A6", "A7", "A8": // 訪問介護・入浴・リハ, 通所, 短期入所, 地域密着型, 総合事業の訪問型・通所型
		return "care_service", true
	}
	return "", false // 17 福祉用具貸与, 67 介護予防福祉用具貸与, and codes this table does not know
}
