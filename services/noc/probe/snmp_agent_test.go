package probe_test

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// snmpAgent is a minimal SNMP agent for tests: GET, GETNEXT and GETBULK
// over v2c, and v3 with USM (engine discovery, then noAuthNoPriv,
// authNoPriv or authPriv), all encoded with gosnmp's own packet code.
type snmpAgent struct {
	conn      net.PacketConn
	community string
	engineID  string
	user      *gosnmp.UsmSecurityParameters // v3 credentials; nil: v3 refused
	start     time.Time

	mu  sync.Mutex
	mib map[string]gosnmp.SnmpPDU
}

func startSNMPAgent(t *testing.T, community string, user *gosnmp.UsmSecurityParameters) *snmpAgent {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &snmpAgent{conn: pc, community: community, user: user, engineID: "\x80\x00\x1f\x88\x04opsward-test", start: time.Now(), mib: map[string]gosnmp.SnmpPDU{}}
	a.set(".1.3.6.1.2.1.1.1.0", gosnmp.OctetString, []byte("Opsward test switch"))
	a.set(".1.3.6.1.2.1.1.3.0", gosnmp.TimeTicks, uint32(123456))
	a.set(".1.3.6.1.2.1.2.2.1.8.1", gosnmp.Integer, 1) // ifOperStatus.1 up
	a.set(".1.3.6.1.2.1.2.2.1.8.2", gosnmp.Integer, 2) // ifOperStatus.2 down
	a.set(".1.3.6.1.2.1.2.2.1.10.1", gosnmp.Counter32, uint32(4294967000))
	a.set(".1.3.6.1.2.1.31.1.1.1.6.1", gosnmp.Counter64, uint64(1e12))
	for i, load := range []int{10, 20, 30, 40} { // hrProcessorLoad
		a.set(".1.3.6.1.2.1.25.3.3.1.2."+strconv.Itoa(i+1), gosnmp.Integer, load)
	}
	go a.serve()
	t.Cleanup(func() { pc.Close() })
	return a
}

func (a *snmpAgent) port() int { return a.conn.LocalAddr().(*net.UDPAddr).Port }

func (a *snmpAgent) set(oid string, typ gosnmp.Asn1BER, v any) {
	a.mu.Lock()
	a.mib[oid] = gosnmp.SnmpPDU{Name: oid, Type: typ, Value: v}
	a.mu.Unlock()
}

func oidLess(x, y string) bool {
	xs, ys := strings.Split(strings.TrimPrefix(x, "."), "."), strings.Split(strings.TrimPrefix(y, "."), ".")
	for i := 0; i < len(xs) && i < len(ys); i++ {
		a, _ := strconv.Atoi(xs[i])
		b, _ := strconv.Atoi(ys[i])
		if a != b {
			return a < b
		}
	}
	return len(xs) < len(ys)
}

func (a *snmpAgent) get(oid string) gosnmp.SnmpPDU {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, ok := a.mib[oid]; ok {
		return v
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.NoSuchObject}
}

func (a *snmpAgent) next(oid string) gosnmp.SnmpPDU {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.mib))
	for k := range a.mib {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return oidLess(keys[i], keys[j]) })
	for _, k := range keys {
		if oidLess(oid, k) {
			return a.mib[k]
		}
	}
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.EndOfMibView}
}

// berVersion reads the version INTEGER at the start of an SNMP message.
func berVersion(b []byte) int {
	if len(b) < 2 || b[0] != 0x30 {
		return -1
	}
	i := 2
	if b[1]&0x80 != 0 {
		i += int(b[1] & 0x7f)
	}
	if len(b) < i+3 || b[i] != 0x02 || b[i+1] != 0x01 {
		return -1
	}
	return int(b[i+2])
}

func (a *snmpAgent) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := a.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		msg := append([]byte(nil), buf[:n]...)
		if out := a.handle(msg); out != nil {
			a.conn.WriteTo(out, from)
		}
	}
}

func (a *snmpAgent) handle(msg []byte) []byte {
	switch berVersion(msg) {
	case int(gosnmp.Version2c):
		dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: a.community, Logger: gosnmp.NewLogger(nil)}
		req, err := dec.SnmpDecodePacket(msg)
		if err != nil || req.Community != a.community {
			return nil // a wrong community gets silence, as real agents do
		}
		resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: a.community, PDUType: gosnmp.GetResponse, RequestID: req.RequestID, Variables: a.answer(req)}
		out, err := resp.MarshalMsg()
		if err != nil {
			return nil
		}
		return out
	case int(gosnmp.Version3):
		if a.user == nil {
			return nil
		}
		sp := a.user.Copy().(*gosnmp.UsmSecurityParameters)
		sp.AuthoritativeEngineID = a.engineID
		sp.Logger = gosnmp.NewLogger(nil)
		if sp.AuthenticationProtocol > gosnmp.NoAuth {
			if err := sp.InitSecurityKeys(); err != nil {
				return nil
			}
		}
		dec := &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.NoAuthNoPriv, SecurityParameters: sp, Logger: gosnmp.NewLogger(nil)}
		req, err := dec.SnmpDecodePacket(msg)
		if err != nil {
			return nil
		}
		rsp := req.SecurityParameters.(*gosnmp.UsmSecurityParameters)
		boots, uptime := uint32(1), uint32(time.Since(a.start).Seconds())
		if rsp.AuthoritativeEngineID == "" {
			// Discovery: report our engine so that the manager can
			// localise its keys.
			resp := &gosnmp.SnmpPacket{
				Version: gosnmp.Version3, MsgFlags: gosnmp.NoAuthNoPriv, SecurityModel: gosnmp.UserSecurityModel,
				SecurityParameters: &gosnmp.UsmSecurityParameters{AuthoritativeEngineID: a.engineID, AuthoritativeEngineBoots: boots, AuthoritativeEngineTime: uptime, Logger: gosnmp.NewLogger(nil)},
				MsgID:              req.MsgID, MsgMaxSize: 65507, ContextEngineID: a.engineID, PDUType: gosnmp.Report, RequestID: req.RequestID,
				Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.6.3.15.1.1.4.0", Type: gosnmp.Counter32, Value: uint32(1)}},
			}
			out, err := resp.MarshalMsg()
			if err != nil {
				return nil
			}
			return out
		}
		if rsp.UserName != a.user.UserName {
			return nil
		}
		out := a.user.Copy().(*gosnmp.UsmSecurityParameters)
		out.AuthoritativeEngineID, out.AuthoritativeEngineBoots, out.AuthoritativeEngineTime = a.engineID, boots, uptime
		out.Logger = gosnmp.NewLogger(nil)
		if err := out.InitSecurityKeys(); err != nil {
			return nil
		}
		if out.PrivacyProtocol > gosnmp.NoPriv {
			// The salt (AES: 64 bits) a sender must vary per message.
			out.PrivacyParameters = []byte{0, 0, 0, 0, 0, 0, 0, byte(req.MsgID)}
		}
		resp := &gosnmp.SnmpPacket{
			Version: gosnmp.Version3, MsgFlags: req.MsgFlags &^ gosnmp.Reportable, SecurityModel: gosnmp.UserSecurityModel,
			SecurityParameters: out, MsgID: req.MsgID, MsgMaxSize: 65507, ContextEngineID: a.engineID, ContextName: req.ContextName,
			PDUType: gosnmp.GetResponse, RequestID: req.RequestID, Variables: a.answer(req),
		}
		b, err := resp.MarshalMsg()
		if err != nil {
			return nil
		}
		return b
	}
	return nil
}

func (a *snmpAgent) answer(req *gosnmp.SnmpPacket) []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			out = append(out, a.get(v.Name))
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			out = append(out, a.next(v.Name))
		}
	case gosnmp.GetBulkRequest:
		nr := int(req.NonRepeaters)
		for i, v := range req.Variables {
			if i < nr {
				out = append(out, a.next(v.Name))
			}
		}
		reps := int(req.MaxRepetitions)
		if reps > 50 {
			reps = 50
		}
		cur := make([]string, 0)
		for i, v := range req.Variables {
			if i >= nr {
				cur = append(cur, v.Name)
			}
		}
		for r := 0; r < reps; r++ {
			for j, name := range cur {
				pdu := a.next(name)
				out = append(out, pdu)
				cur[j] = pdu.Name
			}
		}
	}
	return out
}
