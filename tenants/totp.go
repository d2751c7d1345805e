package tenants

import (
	"context"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/tenants/authn"
)

// TOTPEnrolment is a new second factor waiting for its first code: the
// secret and the otpauth:// URI to show (as a QR code) to its owner only.
type TOTPEnrolment struct {
	Secret string
	URI    string
}

// EnrollTOTP gives the signed-in user a new TOTP secret, sealed at rest. It
// takes effect once ConfirmTOTP sees a code from it; until then logins do
// not ask for one. An enabled factor is replaced only after DisableTOTP.
func (s *Service) EnrollTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	a, err := Require(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID() == "" {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "a second factor belongs to a user, not to an API key")
	}
	pctx := Privileged(ctx, "totp enrolment")
	u, err := s.client.User.Get(pctx, a.UserID())
	if err != nil {
		return nil, storageErr(err)
	}
	if u.TotpEnabled {
		return nil, opsward.Errorf(opsward.ECONFLICT, "a second factor is already enabled: disable it first")
	}
	secret, err := authn.GenerateTOTPSecret()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	sealed, err := s.sealer.Seal([]byte(secret), authn.SealContext("users", u.ID, "totp_secret"))
	if err != nil {
		return nil, opsward.Internal(err)
	}
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOne(u).SetTotpSecret([]byte(sealed)).SetTotpLastStep(0).Exec(pctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: a.TenantID, Action: "auth.totp_enroll", TargetID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: secret, URI: s.totp.URI(u.Email, secret)}, nil
}

// ConfirmTOTP enables the enrolled factor when code is a current code of it.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) error {
	return s.checkTOTP(ctx, code, false, true, "auth.totp_enable")
}

// DisableTOTP turns the factor off; it needs a current code, so that a
// stolen session alone cannot remove it.
func (s *Service) DisableTOTP(ctx context.Context, code string) error {
	return s.checkTOTP(ctx, code, true, false, "auth.totp_disable")
}

// checkTOTP verifies code against the user's sealed secret when the factor
// is in state want, then sets it to enable.
func (s *Service) checkTOTP(ctx context.Context, code string, want, enable bool, action string) error {
	a, err := Require(ctx)
	if err != nil {
		return err
	}
	if a.UserID() == "" {
		return opsward.Errorf(opsward.EFORBIDDEN, "a second factor belongs to a user, not to an API key")
	}
	pctx := Privileged(ctx, "totp change")
	u, err := s.client.User.Get(pctx, a.UserID())
	if err != nil {
		return storageErr(err)
	}
	if u.TotpSecret == nil || u.TotpEnabled != want {
		if want {
			return opsward.Errorf(opsward.ECONFLICT, "no second factor is enabled")
		}
		return opsward.Errorf(opsward.ECONFLICT, "enrol a second factor first (enrollTOTP), or disable the one enabled")
	}
	secret, err := s.openTOTPSecret(u)
	if err != nil {
		return err
	}
	step, err := s.totp.Verify(secret, code, s.now(), uint64(u.TotpLastStep))
	if err != nil {
		return opsward.FieldErrorf("code", "the code is wrong or already used")
	}
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		upd := tx.User.UpdateOne(u).SetTotpEnabled(enable).SetTotpLastStep(int64(step))
		if !enable {
			upd.ClearTotpSecret()
		}
		if err := upd.Exec(pctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: a.TenantID, Action: action, TargetID: u.ID})
	})
	return err
}
