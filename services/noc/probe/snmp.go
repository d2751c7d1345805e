package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// SNMPSettings configure SNMP v2c or v3 gets and walks judged by rules.
type SNMPSettings struct {
	Host      string     `json:"host"`
	Port      int        `json:"port,omitempty"`    // default 161
	Version   string     `json:"version,omitempty"` // "2c" (default) or "3"
	Community string     `json:"community,omitempty"`
	V3        *SNMPv3    `json:"v3,omitempty"`
	Retries   *int       `json:"retries,omitempty"` // default 1
	Rules     []SNMPRule `json:"rules"`
	version   gosnmp.SnmpVersion
	sec       *gosnmp.UsmSecurityParameters
	flags     gosnmp.SnmpV3MsgFlags
}

// SNMPv3 holds the user-based security settings.
type SNMPv3 struct {
	Username       string `json:"username"`
	Level          string `json:"level,omitempty"`         // noAuthNoPriv (default), authNoPriv, authPriv
	AuthProtocol   string `json:"auth_protocol,omitempty"` // MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPassphrase string `json:"auth_passphrase,omitempty"`
	PrivProtocol   string `json:"priv_protocol,omitempty"` // DES, AES, AES192, AES256, AES192C, AES256C
	PrivPassphrase string `json:"priv_passphrase,omitempty"`
	ContextName    string `json:"context_name,omitempty"`
}

// SNMPRule reads one OID (or, with Walk, every OID below it) and judges
// the value or, with kind rate, its increase per second.
//
//	interface 2 up:      {"oid": "1.3.6.1.2.1.2.2.1.8.2", "op": "!=", "crit": 1}
//	traffic in, bits/s:  {"oid": "1.3.6.1.2.1.31.1.1.1.6.2", "kind": "rate", "scale": 8, "op": ">", "warn": 8e8}
//	CPU (all cores):     {"oid": "1.3.6.1.2.1.25.3.3.1.2", "walk": true, "aggregate": "avg", "op": ">", "warn": 80}
type SNMPRule struct {
	Name      string  `json:"name,omitempty"`
	OID       string  `json:"oid"`
	Walk      bool    `json:"walk,omitempty"`
	Kind      string  `json:"kind,omitempty"` // value (default) or rate
	Aggregate string  `json:"aggregate,omitempty"`
	Scale     float64 `json:"scale,omitempty"`
	Threshold
}

var snmpAuth = map[string]gosnmp.SnmpV3AuthProtocol{
	"MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

var snmpPriv = map[string]gosnmp.SnmpV3PrivProtocol{
	"DES": gosnmp.DES, "AES": gosnmp.AES, "AES192": gosnmp.AES192, "AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

func validOID(s string) bool {
	s = strings.TrimPrefix(s, ".")
	if s == "" || len(s) > 512 {
		return false
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 128 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 10 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func normOID(s string) string { return "." + strings.TrimPrefix(s, ".") }

func (s *SNMPSettings) Validate() error {
	if err := validHost("settings.host", s.Host); err != nil {
		return err
	}
	if s.Port == 0 {
		s.Port = 161
	}
	if err := validPort("settings.port", s.Port); err != nil {
		return err
	}
	if s.Retries == nil {
		one := 1
		s.Retries = &one
	}
	if *s.Retries < 0 || *s.Retries > 5 {
		return opsward.FieldErrorf("settings.retries", "must be between 0 and 5")
	}
	switch s.Version {
	case "", "2c", "v2c":
		s.Version, s.version = "2c", gosnmp.Version2c
		if s.Community == "" {
			return opsward.FieldErrorf("settings.community", "is required for SNMP v2c")
		}
		if s.V3 != nil {
			return opsward.FieldErrorf("settings.v3", "is only for version 3")
		}
	case "3", "v3":
		s.Version, s.version = "3", gosnmp.Version3
		if s.V3 == nil || s.V3.Username == "" {
			return opsward.FieldErrorf("settings.v3.username", "is required for SNMP v3")
		}
		v := s.V3
		sec := &gosnmp.UsmSecurityParameters{UserName: v.Username}
		switch strings.ToLower(v.Level) {
		case "", "noauthnopriv":
			v.Level, s.flags = "noAuthNoPriv", gosnmp.NoAuthNoPriv
		case "authnopriv":
			v.Level, s.flags = "authNoPriv", gosnmp.AuthNoPriv
		case "authpriv":
			v.Level, s.flags = "authPriv", gosnmp.AuthPriv
		default:
			return opsward.FieldErrorf("settings.v3.level", "must be noAuthNoPriv, authNoPriv or authPriv")
		}
		if s.flags != gosnmp.NoAuthNoPriv {
			ap, ok := snmpAuth[strings.ToUpper(v.AuthProtocol)]
			if !ok {
				return opsward.FieldErrorf("settings.v3.auth_protocol", "must be one of MD5, SHA, SHA224, SHA256, SHA384, SHA512")
			}
			if len(v.AuthPassphrase) < 8 {
				return opsward.FieldErrorf("settings.v3.auth_passphrase", "must be at least 8 characters")
			}
			sec.AuthenticationProtocol, sec.AuthenticationPassphrase = ap, v.AuthPassphrase
		}
		if s.flags == gosnmp.AuthPriv {
			pp, ok := snmpPriv[strings.ToUpper(v.PrivProtocol)]
			if !ok {
				return opsward.FieldErrorf("settings.v3.priv_protocol", "must be one of DES, AES, AES192, AES256, AES192C, AES256C")
			}
			if len(v.PrivPassphrase) < 8 {
				return opsward.FieldErrorf("settings.v3.priv_passphrase", "must be at least 8 characters")
			}
			sec.PrivacyProtocol, sec.PrivacyPassphrase = pp, v.PrivPassphrase
		}
		s.sec = sec
	default:
		return opsward.FieldErrorf("settings.version", "must be 2c or 3")
	}
	if len(s.Rules) == 0 {
		return opsward.FieldErrorf("settings.rules", "needs at least one rule")
	}
	if len(s.Rules) > maxRules {
		return opsward.FieldErrorf("settings.rules", "must hold at most %d rules", maxRules)
	}
	names := map[string]bool{}
	for i := range s.Rules {
		r := &s.Rules[i]
		f := fmt.Sprintf("settings.rules[%d]", i)
		if !validOID(r.OID) {
			return opsward.FieldErrorf(f+".oid", "must be a numeric OID such as 1.3.6.1.2.1.1.3.0")
		}
		r.OID = normOID(r.OID)
		switch r.Kind {
		case "":
			r.Kind = RuleValue
		case RuleValue, RuleRate:
		default:
			return opsward.FieldErrorf(f+".kind", "must be value or rate")
		}
		if err := validAggregate(f+".aggregate", r.Aggregate); err != nil {
			return err
		}
		if math.IsNaN(r.Scale) || math.IsInf(r.Scale, 0) {
			return opsward.FieldErrorf(f+".scale", "must be a finite number")
		}
		if r.Scale == 0 {
			r.Scale = 1
		}
		if err := r.Threshold.validate(f); err != nil {
			return err
		}
		if r.Name == "" {
			r.Name = r.Kind + ":" + r.OID
		}
		if names[r.Name] {
			return opsward.FieldErrorf(f+".name", "%q is used by another rule", r.Name)
		}
		names[r.Name] = true
	}
	return nil
}

// SNMPProber polls a network device.
type SNMPProber struct{ g *egress.Guard }

func NewSNMP(g *egress.Guard) *SNMPProber { return &SNMPProber{g: g} }

func (p *SNMPProber) Kind() Kind { return KindSNMP }

func (p *SNMPProber) Parse(raw []byte) (Settings, error) {
	s := &SNMPSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// snmpState keeps counter samples between polls.
type snmpState struct {
	At      time.Time          `json:"at"`
	Samples map[string]float64 `json:"samples"`
}

type snmpValue struct {
	v     float64
	wrap  float64 // the counter's modulus, 0 for gauges and Counter64
	isNum bool
}

func toSNMPValue(pdu gosnmp.SnmpPDU) snmpValue {
	switch pdu.Type {
	case gosnmp.Counter32:
		return snmpValue{v: float64(gosnmp.ToBigInt(pdu.Value).Uint64()), wrap: 1 << 32, isNum: true}
	case gosnmp.Integer, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		bi := gosnmp.ToBigInt(pdu.Value)
		f, _ := bi.Float64()
		return snmpValue{v: f, isNum: true}
	case gosnmp.OctetString:
		// Some agents report numbers as strings (UCD laLoad "0.42").
		if b, ok := pdu.Value.([]byte); ok {
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%g", &f); err == nil {
				return snmpValue{v: f, isNum: true}
			}
		}
	}
	return snmpValue{}
}

func (p *SNMPProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*SNMPSettings)
	if !ok {
		return wrongKind(set)
	}
	in = in.withDefaults()
	res := Result{Status: StatusUp, StartedAt: in.Now}
	start := time.Now()
	addrs, err := p.g.Resolve(ctx, s.Host)
	res.Timings.DNS = time.Since(start)
	if err != nil {
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	timeout := in.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	// Each attempt gets a share of the budget so that retries fit in it.
	per := timeout / time.Duration(*s.Retries+1) / 2
	if per < 100*time.Millisecond {
		per = 100 * time.Millisecond
	}
	client := &gosnmp.GoSNMP{
		Target:             addrString(addrs[0]),
		Port:               uint16(s.Port),
		Transport:          "udp",
		Community:          s.Community,
		Version:            s.version,
		Timeout:            per,
		Retries:            *s.Retries,
		ExponentialTimeout: false,
		Context:            ctx,
		MaxOids:            gosnmp.MaxOids,
		MaxRepetitions:     25,
		Control:            p.g.Control,
	}
	if s.version == gosnmp.Version3 {
		client.SecurityModel = gosnmp.UserSecurityModel
		client.MsgFlags = s.flags
		client.SecurityParameters = s.sec.Copy()
		client.ContextName = s.V3.ContextName
	}
	if err := client.Connect(); err != nil {
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	defer client.Conn.Close()

	values := map[string]snmpValue{}
	var gets []string
	for _, r := range s.Rules {
		if !r.Walk {
			gets = append(gets, r.OID)
		}
	}
	fail := func(err error, what string) Result {
		res.Latency = time.Since(start)
		reason, msg := classify(err, ctx)
		if errors.Is(err, gosnmp.ErrMaxRetriesExceeded) {
			reason = ReasonTimeout
		}
		res.fail(StatusDown, reason, "SNMP %s on %s: %s", what, client.Target, msg)
		return res
	}
	for i := 0; i < len(gets); i += gosnmp.MaxOids {
		end := min(i+gosnmp.MaxOids, len(gets))
		pkt, err := client.Get(gets[i:end])
		if err != nil {
			return fail(err, "get")
		}
		if pkt.Error != gosnmp.NoError {
			res.Latency = time.Since(start)
			res.fail(StatusDown, ReasonProtocol, "SNMP get on %s: the agent answered %s", client.Target, pkt.Error)
			return res
		}
		for _, v := range pkt.Variables {
			values[normOID(v.Name)] = toSNMPValue(v)
		}
	}
	walked := map[string][]string{}
	for _, r := range s.Rules {
		if !r.Walk {
			continue
		}
		if _, done := walked[r.OID]; done {
			continue
		}
		walk := client.BulkWalk
		var names []string
		err := walk(r.OID, func(pdu gosnmp.SnmpPDU) error {
			n := normOID(pdu.Name)
			values[n] = toSNMPValue(pdu)
			names = append(names, n)
			if len(names) > 10000 {
				return fmt.Errorf("the walk of %s returned more than 10000 values", r.OID)
			}
			return nil
		})
		if err != nil {
			return fail(err, "walk")
		}
		walked[r.OID] = names
	}
	res.Latency = time.Since(start)
	res.Timings.Total = res.Latency
	res.metric("snmp_values", float64(len(values)))

	var prev snmpState
	if len(in.Previous) > 0 {
		_ = json.Unmarshal(in.Previous, &prev)
	}
	dt := in.Now.Sub(prev.At).Seconds()
	havePrev := prev.Samples != nil && dt > 0
	next := snmpState{At: in.Now, Samples: map[string]float64{}}
	var pending []string
	for _, r := range s.Rules {
		oids := []string{r.OID}
		if r.Walk {
			oids = walked[r.OID]
		}
		var vs []float64
		missing := true
		for _, o := range oids {
			v, ok := values[o]
			if !ok || !v.isNum {
				continue
			}
			missing = false
			if r.Kind == RuleValue {
				vs = append(vs, v.v)
				continue
			}
			next.Samples[o] = v.v
			pv, ok := prev.Samples[o]
			if !havePrev || !ok {
				continue
			}
			inc := v.v - pv
			if inc < 0 {
				if v.wrap > 0 {
					inc += v.wrap // a 32-bit counter wrapped
				} else {
					inc = v.v // the device restarted
				}
			}
			vs = append(vs, inc/dt)
		}
		if missing {
			res.fail(StatusDegraded, ReasonThreshold, "rule %s: %s returned no numeric value", r.Name, r.OID)
			continue
		}
		if len(vs) == 0 {
			pending = append(pending, r.Name)
			continue
		}
		v := aggregate(r.Aggregate, vs) * r.Scale
		res.metric(r.Name, v)
		if st, crossed := r.Threshold.eval(v); st != StatusUp {
			res.fail(st, ReasonThreshold, "%s is %s", r.Name, crossed)
		}
	}
	res.State, _ = json.Marshal(next)
	if res.Status == StatusUp && len(pending) > 0 {
		res.Message = fmt.Sprintf("rates for %s need a second poll", strings.Join(pending, ", "))
	}
	return res
}

func addrString(a netip.Addr) string { return a.String() }
