package auth

import (
	"errors"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP errors.
var (
	ErrTOTPInvalid  = errors.New("auth: totp code invalid")
	ErrTOTPReplayed = errors.New("auth: totp code already used")
)

const totpPeriod = 30

// NewTOTPSecret makes a secret for account loginID and returns the base32
// secret and the otpauth:// URL an authenticator app scans.
func NewTOTPSecret(issuer, loginID string) (secret, url string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: loginID, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// CheckTOTP verifies code against secret at now, accepting one step of clock
// skew either way. lastStep is the time step of the last code accepted for
// the account; a code of that step or earlier is refused (ErrTOTPReplayed),
// so an observed code cannot be used twice. It returns the step to store.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (int64, error) {
	if len(code) != 6 {
		return 0, ErrTOTPInvalid
	}
	step := now.Unix() / totpPeriod
	for _, s := range []int64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, err
		}
		if want == code {
			if s <= lastStep {
				return 0, ErrTOTPReplayed
			}
			return s, nil
		}
	}
	return 0, ErrTOTPInvalid
}

// TOTPCode returns the code for secret at t (for tests and the demo).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
