package normalize

import (
	"strings"
)

// FormatFilterlog is pfSense/OPNsense's packet filter log: the message of
// the "filterlog" program, comma-separated values.
const FormatFilterlog Format = "pfsense_filterlog"

// applyFilterlog reads a pfSense/OPNsense filterlog CSV line into ev:
//
//	rule,subrule,anchor,tracker,interface,reason,action,direction,ipversion,
//	IPv4: tos,ecn,ttl,id,offset,flags,protoid,proto,length,src,dst,
//	IPv6: class,flowlabel,hoplimit,proto,protoid,length,src,dst,
//	then for TCP and UDP: srcport,dstport,datalen[,tcp flags,…].
//
// It returns false when the line is not one (too few values, or an IP
// version other than 4 or 6).
func applyFilterlog(ev Event, line string) bool {
	f := strings.Split(strings.TrimSpace(line), ",")
	if len(f) < 9 || len(f) > MaxFields {
		return false
	}
	var proto, src, dst string
	var rest []string
	switch f[8] {
	case "4":
		if len(f) < 20 {
			return false
		}
		proto, src, dst, rest = f[16], f[18], f[19], f[20:]
		ev.Fields["network.type"] = "ipv4"
	case "6":
		if len(f) < 17 {
			return false
		}
		proto, src, dst, rest = f[12], f[15], f[16], f[17:]
		ev.Fields["network.type"] = "ipv6"
	default:
		return false
	}
	for i, k := range []string{"rule", "subrule", "anchor", "tracker", "interface", "reason", "action", "direction", "ipversion"} {
		ev.setNative(k, f[i])
	}
	ev.setNative("proto", proto)
	ev.setNative("src", src)
	ev.setNative("dst", dst)
	ev.set("rule.id", f[3])
	ev.set("rule.ruleset", f[0])
	ev.set(FieldAction, f[6])
	ev.set("network.direction", directionName(f[7]))
	if f[7] == "out" {
		ev.set("observer.egress.interface.name", f[4])
	} else {
		ev.set("observer.ingress.interface.name", f[4])
	}
	ev.set("network.transport", transportName(proto))
	ev.setIP(FieldSourceIP, src)
	ev.setIP(FieldDestIP, dst)
	if (proto == "tcp" || proto == "udp") && len(rest) >= 2 {
		ev.setNative("srcport", rest[0])
		ev.setNative("dstport", rest[1])
		ev.setPort(FieldSourcePort, rest[0])
		ev.setPort(FieldDestPort, rest[1])
	}
	ev.addCategory("network")
	ev.addType("connection")
	switch firewallVerdict(f[6]) {
	case "allowed":
		ev.addType("allowed")
		ev.Fields[FieldOutcome] = "success"
	case "denied":
		ev.addType("denied")
		ev.Fields[FieldOutcome] = "failure"
	}
	return true
}
