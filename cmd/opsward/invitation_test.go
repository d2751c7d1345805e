package main

import (
	"testing"

	"github.com/opsward/opsward/tenants"
)

// An invitation accepted through the API returns the new membership with
// its user, although the invitee has no credentials yet.
func TestAcceptInvitationReturnsTheMembership(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	admin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken

	_, r := s.graphqlVars(t, admin, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { invitation { id email } token userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "new.analyst@acme.example", "role": "analyst"}})
	token, _ := dig(r, "data", "inviteUser", "token").(string)
	if token == "" {
		t.Fatalf("inviteUser: %v", r)
	}

	const accept = `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id role tenantId user { email name } tenant { id name } } userErrors { field message } } }`
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "New Analyst", "password": "Acme-Analyst-Passphrase-4"}})
	if errs, _ := r["errors"].([]any); len(errs) > 0 {
		t.Fatalf("acceptInvitation: errors %v", errs)
	}
	m, _ := dig(r, "data", "acceptInvitation", "membership").(map[string]any)
	if m == nil || dig(m, "user", "email") != "new.analyst@acme.example" || dig(m, "user", "name") != "New Analyst" || m["role"] != "analyst" ||
		m["tenantId"] != acme.ID || dig(m, "tenant", "id") != acme.ID || dig(m, "tenant", "name") != acme.Name {
		t.Fatalf("acceptInvitation returned %v", r)
	}

	// The new member sees the membership and its tenant as a viewer too;
	// MSP staff acting on a customer see their own tenant, above it.
	analyst := s.login(t, tenants.DemoCredential{Email: "new.analyst@acme.example", Password: "Acme-Analyst-Passphrase-4"}, "")
	_, r = s.graphql(t, "Bearer "+analyst.AccessToken, "", `{ viewer { memberships { role tenant { id name } } } }`)
	ms, _ := dig(r, "data", "viewer", "memberships").([]any)
	if len(ms) != 1 || dig(ms[0], "tenant", "id") != acme.ID {
		t.Fatalf("viewer memberships: %v", r)
	}
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	_, r = s.graphql(t, owner, acme.ID, `{ viewer { actingTenant { id } memberships { tenant { id name } user { email } } } }`)
	ms, _ = dig(r, "data", "viewer", "memberships").([]any)
	if errs, _ := r["errors"].([]any); len(errs) > 0 || len(ms) != 1 || dig(ms[0], "tenant", "id") != s.demo.Provider.ID ||
		dig(r, "data", "viewer", "actingTenant", "id") != acme.ID {
		t.Fatalf("provider owner's memberships while acting on a customer: %v", r)
	}

	// The token is used up: a second acceptance is a user error on it.
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "Again", "password": "Acme-Analyst-Passphrase-4"}})
	ue, _ := dig(r, "data", "acceptInvitation", "userErrors").([]any)
	if len(ue) != 1 || dig(ue[0], "field") == nil || dig(r, "data", "acceptInvitation", "membership") != nil {
		t.Fatalf("second acceptance: %v", r)
	}
}
