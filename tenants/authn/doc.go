// Package authn holds the authentication building blocks of Opsward:
// signed access tokens (JWT, EdDSA over Ed25519, with a rotating key ring
// and a JWKS document), argon2id password hashes and the password policy,
// TOTP second factors, opaque secrets (API keys, refresh and invitation
// tokens) and their scopes, login throttling and lockout kept in Redis,
// and the Sealer that encrypts secrets stored in the database.
//
// The package has no storage of its own. It produces values that callers
// persist (hashes, lookup prefixes, sealed blobs, the marshalled key ring)
// and checks what clients present against them. Refusals are
// *opsward.Error values with code EUNAUTHORIZED (a credential is wrong),
// ELIMIT (too many attempts) or EINVALID (an input such as a new password
// breaks a rule, naming the field); the message is fit for the user and
// never says which of several secrets was wrong beyond what the user may
// know.
//
// What this package must never do:
//
//   - Log, print or put into an error message a secret: a password, a
//     private key, a token, an API key, a TOTP secret or code, a seal key.
//     Types that hold one redact themselves when formatted or logged.
//   - Accept a token signed with any algorithm other than EdDSA. The
//     verifier pins the algorithm and refuses tokens whose key id is
//     missing or unknown; it never picks a key from the token itself.
//   - Compare a secret with == or bytes.Equal. Comparisons of secrets and
//     of their hashes go through crypto/subtle.
//   - Read randomness from anywhere but crypto/rand.
package authn
