package normalize_test

import (
	"testing"

	"github.com/opsward/opsward/services/soc/normalize"
)

func benchNormalize(b *testing.B, in string) {
	raw := []byte(in)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := normalize.Normalize(raw, normalize.FormatAuto, recv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeRFC5424(b *testing.B) {
	benchNormalize(b, `<13>1 2026-11-26T04:01:58.027554+00:00 vm myapp 7486 ID1 [timeQuality tzKnown="1" isSynced="0"][opsward@32473 token="abcdef"] hello world from the application`)
}

func BenchmarkNormalizeRFC3164Auth(b *testing.B) {
	benchNormalize(b, `<86>Nov 26 04:01:58 web1 sshd[812]: Failed password for invalid user admin from 203.0.113.7 port 40022 ssh2`)
}

func BenchmarkNormalizeCEF(b *testing.B) {
	benchNormalize(b, `<134>Nov 26 04:01:58 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|rt=Nov 26 2026 04:01:57 GMT src=10.1.1.5 dst=203.0.113.9 spt=51515 dpt=443 proto=TCP act=deny suser=corp\alice request=https://evil.example/x cs1Label=Rule cs1=block-out`)
}

func BenchmarkNormalizeFortiGateKV(b *testing.B) {
	benchNormalize(b, `<189>date=2026-11-26 time=04:01:58 devname="FGT60F" devid="FGT60FTK000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.0.0.5 srcport=51234 srcintf="port1" dstip=8.8.8.8 dstport=53 dstintf="wan1" proto=17 action="deny" policyid=7 service="DNS" sentbyte=60 rcvdbyte=0`)
}

func BenchmarkNormalizeEVTXSysmon1(b *testing.B) {
	benchNormalize(b, evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 1, `{"RuleName":"-","UtcTime":"2026-04-20 10:00:35.640","ProcessGuid":"{0197231E-F943-69E5-A527-000000000800}","ProcessId":6180,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami","CurrentDirectory":"C:\\Users\\x\\","User":"CORP\\xodih","Hashes":"MD5=FF9D1ED3795B9AD94F2390D5E5DA5905,SHA256=A80CB394D251F781DBD5FFB889D38FDD2095ADE63110578CA62F62CF795B7538","ParentProcessId":6428,"ParentImage":"C:\\Windows\\explorer.exe","ParentCommandLine":"C:\\Windows\\Explorer.EXE"}`))
}

func BenchmarkNormalizeJSON(b *testing.B) {
	benchNormalize(b, `{"timestamp":"2026-11-26T04:00:00Z","src_ip":"192.0.2.10","dst_port":8443,"user":{"name":"dave"},"event":{"category":"network","action":"conn"},"msg":"hello"}`)
}
