package opsward

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes name the type of every object, so that an ID read in a log
// line or given to node(id:) says what it is. A prefix is never reused.
const (
	PrefixTenant        = "ten"
	PrefixUser          = "usr"
	PrefixMembership    = "mem"
	PrefixInvitation    = "inv"
	PrefixAPIKey        = "key"
	PrefixSession       = "ses"
	PrefixAudit         = "aud"
	PrefixSubscription  = "sub"
	PrefixMonitor       = "mon"
	PrefixAsset         = "ast"
	PrefixIncident      = "inc"
	PrefixAlert         = "alr"
	PrefixCase          = "cas"
	PrefixJob           = "job"
	PrefixDependency    = "dep"
	PrefixTimeline      = "itl"
	PrefixMaintenance   = "mnt"
	PrefixEscalation    = "esc"
	PrefixChannel       = "chn"
	PrefixEvent         = "evt"
	PrefixLogSource     = "lsr"
	PrefixRule          = "rul"
	PrefixRuleOverride  = "rov"
	PrefixIndicatorList = "iol"
	PrefixIndicator     = "ioc"
	PrefixCaseEntry     = "cte"
	PrefixCaseTask      = "tsk"
	PrefixEvidence      = "evd"
	PrefixPlaybook      = "pbk"
	PrefixPlaybookRun   = "pbr"
	PrefixPriceVersion  = "prv"
	PrefixInvoice       = "ivc"
	PrefixCreditNote    = "crn"
	PrefixReport        = "rpt"
	PrefixTestRun       = "ctr"
	PrefixException     = "exc"
	PrefixAttestation   = "att"
	PrefixStatusPage    = "stp"
	PrefixSavedView     = "svw"
	PrefixLocation      = "loc"
	PrefixProbeAgent    = "agt"
	PrefixProbeCheck    = "pck"
)

// NewID returns a new prefixed ULID such as "ten_01jd…". All 80 random
// bits come fresh from crypto/rand for every ID (no monotonic increment),
// so an ID cannot be guessed from its neighbour; the time part keeps IDs
// roughly sortable by creation.
func NewID(prefix string) string {
	id := ulid.MustNew(ulid.Timestamp(time.Now()), rand.Reader)
	return prefix + "_" + strings.ToLower(id.String())
}

// IDPrefix returns the prefix of a prefixed ID, or "" when id has none.
func IDPrefix(id string) string {
	i := strings.IndexByte(id, '_')
	if i <= 0 {
		return ""
	}
	return id[:i]
}

// ValidID reports whether id is a well-formed prefixed ULID with the given
// prefix (any prefix when prefix is "").
func ValidID(id, prefix string) bool {
	p := IDPrefix(id)
	if p == "" || (prefix != "" && p != prefix) {
		return false
	}
	_, err := ulid.ParseStrict(strings.ToUpper(id[len(p)+1:]))
	return err == nil
}
