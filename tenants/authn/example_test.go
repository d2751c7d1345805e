package authn_test

import (
	"fmt"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants/authn"
)

// Example_accessToken issues an access token after a login, verifies it
// on a later request, and rotates the signing key.
func Example_accessToken() {
	now := time.Now()
	ring, err := authn.GenerateKeyRing(now)
	if err != nil {
		panic(err)
	}
	issuer, err := authn.NewIssuer(authn.TokenConfig{
		Issuer:   "https://noc.example.com",
		Audience: "opsward-api",
	}, ring)
	if err != nil {
		panic(err)
	}

	token, _, err := issuer.Issue(authn.AccessGrant{
		UserID: "usr_01", TenantID: "ten_01", SessionID: "ses_01",
		Roles: []string{"analyst"},
	})
	if err != nil {
		panic(err)
	}

	claims, err := issuer.Verify(token)
	fmt.Println(claims.UserID(), claims.TenantID, err)

	// A rotation keeps the old key verifying for the overlap, so the
	// token above stays good until it expires.
	if _, err := ring.Rotate(now, authn.DefaultAccessTTL); err != nil {
		panic(err)
	}
	_, err = issuer.Verify(token)
	fmt.Println("after rotation:", err)

	_, err = issuer.Verify(token[:len(token)-4] + "AAAA")
	fmt.Println(opsward.ErrorCode(err), opsward.ErrorMessage(err))
	// Output:
	// usr_01 ten_01 <nil>
	// after rotation: <nil>
	// unauthenticated invalid token signature
}

// Example_apiKey creates an API key, stores only its prefix and hash, and
// checks it when an integrator presents it.
func Example_apiKey() {
	key, err := authn.NewAPIKey()
	if err != nil {
		panic(err)
	}
	// Store key.Prefix and key.Hash; show key.Reveal() to the user once.
	storedHash := key.Hash
	scopes, _ := authn.ParseScopes([]string{"noc:write", "events:ingest"})

	presented, err := authn.ParseOpaqueSecret(authn.KindAPIKey, key.Reveal())
	if err != nil {
		panic(err)
	}
	// Look the row up by presented.Prefix, then:
	fmt.Println(presented.Matches(storedHash))
	fmt.Println(scopes.Allows(authn.ScopeNOCRead), scopes.Allows(authn.ScopeSOCRead))
	// Output:
	// true
	// true false
}
