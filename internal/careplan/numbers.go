// Package careplan reads and writes the files of the care-plan data
// standard (ケアプランデータ連携標準仕様: 4.1 of 令和6年10月, which followed
// 介護保険最新情報 vol.1156 and its Q&A vol.1177; see columns.go): the 第6表 (サービス利用票) 予定 file a care manager's
// office sends to a service provider (UPPLAN_…CSV) and the 実績 file the
// provider sends back (UPJSK_…CSV), both CSV in Shift-JIS (MS932); and it
// checks the 介護保険 numbers those files match on.
package careplan

import (
	"errors"
)

// Rules of the numbers, as the API's problems name them.
const (
	RuleInsurerNumber = "must be 6 digits whose last is the check digit of the first five (weights 2,1,2,1,2; 10 minus the sum of the products' digits, mod 10)"
	RuleInsuredNumber = "must be 10 digits, or H and 9 digits (生保単独)"
	RuleOfficeNumber  = "must be 10 digits"
)

var (
	ErrInsurerNumber = errors.New(RuleInsurerNumber)
	ErrInsuredNumber = errors.New(RuleInsuredNumber)
	ErrOfficeNumber  = errors.New(RuleOfficeNumber)
)

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// InsurerCheckDigit is the check digit (検証番号) of a 介護保険 保険者番号
// from its first five digits: each digit times 2,1,2,1,2, the digits of
// the products summed, 10 minus the sum's last digit (0 when that is 10).
// 131011 (千代田区), 141002 (横浜市), 435073 (水上村) hold to it.
func InsurerCheckDigit(first5 string) byte {
	sum := 0
	for i := 0; i < 5; i++ {
		p := int(first5[i]-'0') * (2 - i%2)
		sum += p/10 + p%10
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidInsurerNumber checks a 保険者番号: 6 digits, the last its check digit.
func ValidInsurerNumber(s string) error {
	if !digits(s, 6) || InsurerCheckDigit(s[:5]) != s[5] {
		return ErrInsurerNumber
	}
	return nil
}

// ValidInsuredNumber checks a 被保険者番号: 10 digits, or for a person on
// public assistance alone (生保単独) H and 9 digits, as the standard's
// 被保険者番号 column has it. Municipalities number their insured people
// themselves; no national check digit is published.
func ValidInsuredNumber(s string) error {
	if !digits(s, 10) && !(len(s) == 10 && s[0] == 'H' && digits(s[1:], 9)) {
		return ErrInsuredNumber
	}
	return nil
}

// ValidOfficeNumber checks a 介護保険事業所番号: 10 digits (no check digit
// is published for it).
func ValidOfficeNumber(s string) error {
	if !digits(s, 10) {
		return ErrOfficeNumber
	}
	return nil
}
