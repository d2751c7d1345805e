package main

import (
	"testing"
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

	const accept = `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id role user { email name } } userErrors { field message } } }`
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "New Analyst", "password": "Acme-Analyst-Passphrase-4"}})
	if errs, _ := r["errors"].([]any); len(errs) > 0 {
		t.Fatalf("acceptInvitation: errors %v", errs)
	}
	m, _ := dig(r, "data", "acceptInvitation", "membership").(map[string]any)
	if m == nil || dig(m, "user", "email") != "new.analyst@acme.example" || dig(m, "user", "name") != "New Analyst" || m["role"] != "analyst" {
		t.Fatalf("acceptInvitation returned %v", r)
	}

	// The token is used up: a second acceptance is a user error on it.
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "Again", "password": "Acme-Analyst-Passphrase-4"}})
	ue, _ := dig(r, "data", "acceptInvitation", "userErrors").([]any)
	if len(ue) != 1 || dig(ue[0], "field") == nil || dig(r, "data", "acceptInvitation", "membership") != nil {
		t.Fatalf("second acceptance: %v", r)
	}
}
