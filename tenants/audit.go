package tenants

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/predicate"
)

// AuditRecord is one thing to write to a tenant's audit log.
type AuditRecord struct {
	TenantID string // whose log
	Action   string // "tenant.create", "auth.login_failed", …
	TargetID string
	Detail   string
	// Actor and request: taken from the context's actor when empty.
	ActorType, ActorID, ActorTenantID string
	IP, UserAgent                     string
}

// genesis is the prev_hash of a tenant's first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Audit appends r to its tenant's log, chained to the previous entry. It
// runs in tx when one is given (so the entry commits with the change it
// records), otherwise in a transaction of its own. Entries of one tenant
// are serialized: on Postgres by an advisory lock, on SQLite by its one
// writer.
func (s *Service) Audit(ctx context.Context, tx *ent.Tx, r AuditRecord) error {
	if a, ok := FromContext(ctx); ok {
		if r.ActorType == "" {
			r.ActorType, r.ActorID, r.ActorTenantID = a.Kind, a.ID, a.TenantID
		}
		if r.IP == "" {
			r.IP, r.UserAgent = a.IP, a.UserAgent
		}
	}
	if r.ActorType == "" {
		r.ActorType = "anonymous"
	}
	if r.TenantID == "" {
		return opsward.Internal(fmt.Errorf("audit %s: no tenant", r.Action))
	}
	// The log belongs to the tenant, whoever writes it; writing it is the
	// service's own privileged act.
	pctx := Privileged(ctx, "audit append")
	write := func(tx *ent.Tx) error {
		if s.isPostgres() {
			if _, err := tx.ExecContext(pctx, "SELECT pg_advisory_xact_lock(hashtext($1))", r.TenantID); err != nil {
				return storageErr(err)
			}
		}
		prev, seq := genesis, int64(1)
		last, err := tx.AuditEntry.Query().
			Where(auditentry.TenantID(r.TenantID)).
			Order(ent.Desc(auditentry.FieldSeq)).
			Select(auditentry.FieldSeq, auditentry.FieldHash).
			First(pctx)
		switch {
		case err == nil:
			prev, seq = last.Hash, last.Seq+1
		case !ent.IsNotFound(err):
			return storageErr(err)
		}
		e := &ent.AuditEntry{
			TenantID: r.TenantID, Seq: seq, CreatedAt: s.now().UTC().Truncate(time.Microsecond),
			ActorType: clip(r.ActorType, 16), ActorID: clip(r.ActorID, 40), ActorTenantID: clip(r.ActorTenantID, 40),
			Action: clip(r.Action, 64), TargetID: clip(r.TargetID, 40), IP: clip(r.IP, 64),
			UserAgent: clip(r.UserAgent, 512), Detail: clip(r.Detail, 4000), PrevHash: prev,
		}
		e.Hash = auditHash(e)
		_, err = tx.AuditEntry.Create().
			SetTenantID(e.TenantID).SetSeq(e.Seq).SetCreatedAt(e.CreatedAt).
			SetActorType(e.ActorType).SetActorID(e.ActorID).SetActorTenantID(e.ActorTenantID).
			SetAction(e.Action).SetTargetID(e.TargetID).SetIP(e.IP).SetUserAgent(e.UserAgent).
			SetDetail(e.Detail).SetPrevHash(e.PrevHash).SetHash(e.Hash).
			Save(pctx)
		return storageErr(err)
	}
	if tx != nil {
		return write(tx)
	}
	return s.withTx(pctx, write)
}

// auditHash is the SHA-256 of the entry's fields, each length-prefixed so
// that no two different entries hash alike, and of the previous hash.
func auditHash(e *ent.AuditEntry) string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put("opsward-audit-v1")
	put(e.TenantID)
	put(strconv.FormatInt(e.Seq, 10))
	put(e.CreatedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano))
	for _, f := range []string{e.ActorType, e.ActorID, e.ActorTenantID, e.Action, e.TargetID, e.IP, e.UserAgent, e.Detail, e.PrevHash} {
		put(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditProblem is one break in a tenant's audit chain.
type AuditProblem struct {
	Seq    int64
	Reason string
}

// VerifyAudit walks a tenant's whole log in order and reports every break:
// an entry whose hash does not match its content (edited), a gap in the
// sequence or a broken link (deleted or inserted entries). It reads in
// pages, so a long log costs little memory.
func (s *Service) VerifyAudit(ctx context.Context, tenantID string) ([]AuditProblem, int64, error) {
	if err := Authorize(ctx, PermAuditRead); err != nil {
		return nil, 0, err
	}
	var (
		problems []AuditProblem
		prev     = genesis
		want     = int64(1)
		checked  int64
	)
	for {
		page, err := s.client.AuditEntry.Query().
			Where(auditentry.TenantID(tenantID), auditentry.SeqGTE(want)).
			Order(ent.Asc(auditentry.FieldSeq)).Limit(500).All(ctx)
		if err != nil {
			return nil, 0, storageErr(err)
		}
		for _, e := range page {
			if e.Seq != want {
				problems = append(problems, AuditProblem{Seq: want, Reason: fmt.Sprintf("entries %d to %d are missing", want, e.Seq-1)})
			}
			if e.PrevHash != prev {
				problems = append(problems, AuditProblem{Seq: e.Seq, Reason: "does not link to the entry before it"})
			}
			if auditHash(e) != e.Hash {
				problems = append(problems, AuditProblem{Seq: e.Seq, Reason: "content does not match its hash: the entry was changed"})
			}
			prev, want = e.Hash, e.Seq+1
			checked++
		}
		if len(page) < 500 {
			return problems, checked, nil
		}
	}
}

// AuditFilter narrows an audit log listing.
type AuditFilter struct {
	TenantID string // required: whose log
	Action   string
	ActorID  string
	TargetID string
	Since    *time.Time
	Until    *time.Time
}

// AuditQuery returns the query for a tenant's audit log, newest first.
// The tenant must be in the actor's reach (the storage layer enforces it).
func (s *Service) AuditQuery(ctx context.Context, f AuditFilter) (*ent.AuditEntryQuery, error) {
	if err := Authorize(ctx, PermAuditRead); err != nil {
		return nil, err
	}
	if !opsward.ValidID(f.TenantID, opsward.PrefixTenant) {
		return nil, opsward.FieldErrorf("tenantId", "%q is not a tenant id", f.TenantID)
	}
	ps := []predicate.AuditEntry{auditentry.TenantID(f.TenantID)}
	if f.Action != "" {
		ps = append(ps, auditentry.Action(f.Action))
	}
	if f.ActorID != "" {
		ps = append(ps, auditentry.ActorID(f.ActorID))
	}
	if f.TargetID != "" {
		ps = append(ps, auditentry.TargetID(f.TargetID))
	}
	if f.Since != nil {
		ps = append(ps, auditentry.CreatedAtGTE(*f.Since))
	}
	if f.Until != nil {
		ps = append(ps, auditentry.CreatedAtLT(*f.Until))
	}
	return s.client.AuditEntry.Query().Where(ps...), nil
}

func (s *Service) isPostgres() bool { return s.dialect == dialect.Postgres }

func clip(v string, n int) string {
	if len(v) <= n {
		return v
	}
	return v[:n]
}
