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

// serviceTypeNames are the サービス種類 the standard exchanges (its 1.3 and
// 1.4 tables of 連携対象) that this package names.
var serviceTypeNames = map[string]string{
	"11": "訪問介護", "12": "訪問入浴介護", "13": "訪問看護", "14": "訪問リハビリテーション", "15": "通所介護",
	"16": "通所リハビリテーション", "17": "福祉用具貸与", "21": "短期入所生活介護", "31": "居宅療養管理指導",
	"62": "介護予防訪問入浴介護", "63": "介護予防訪問看護", "64": "介護予防訪問リハビリテーション",
	"67": "介護予防福祉用具貸与", "34": "介護予防居宅療養管理指導", "71": "夜間対応型訪問介護",
	"72": "認知症対応型通所介護", "73": "小規模多機能型居宅介護", "76": "定期巡回・随時対応型訪問介護看護",
	"77": "看護小規模多機能型居宅介護", "78": "地域密着型通所介護", "A2": "訪問型サービス（独自）", "A6": "通所型サービス（独自）",
}

// ServiceLabel names a service code for people: the file carries the code
// only (サービスコード), so the label is the サービス種類's name and the code,
// e.g. 訪問看護（131211）.
func ServiceLabel(code string) string {
	if n, ok := serviceTypeNames[code[:2]]; ok {
		return n + "（" + code + "）"
	}
	return code
}
