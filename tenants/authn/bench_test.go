package authn

import (
	"testing"
)

// Benchmarks of the checks made on every authenticated request (Verify,
// API key check) and of the password hash made on every login.

func BenchmarkVerifyAccessToken(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	tok, _, err := iss.Issue(testGrant)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueAccessToken(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := iss.Issue(testGrant); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckAPIKey(b *testing.B) {
	key, err := NewAPIKey()
	if err != nil {
		b.Fatal(err)
	}
	text, hash := key.Reveal(), key.Hash
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckOpaqueSecret(KindAPIKey, text, hash); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    Argon2Params
	}{
		{"default", DefaultArgon2Params},
		{"test", TestArgon2Params},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := HashPassword("correct horse battery staple", bc.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
