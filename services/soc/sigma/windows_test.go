package sigma

import (
	"path/filepath"
	"slices"
	"testing"
)

// security builds a flattened Windows Security event.
func security(id int, fields Event) Event {
	ev := Event{"Channel": "Security", "EventID": id, "Provider_Name": "Microsoft-Windows-Security-Auditing"}
	for k, v := range fields {
		ev[k] = v
	}
	return ev
}

// TestSecurity4688 checks that process_creation rules of the SigmaHQ
// library, written on Sysmon names, match hand-made Security 4688 events
// through the default field mapping, and that Sysmon events still read
// their own names.
func TestSecurity4688(t *testing.T) {
	dir := filepath.Join(sharedSigma(t), "rules", "windows", "process_creation")
	var rules []*Rule
	for _, f := range []string{
		"proc_creation_win_whoami_all_execution.yml",               // c248c896: Image + CommandLine
		"proc_creation_win_mshta_susp_child_processes.yml",         // 03cc0c25: ParentImage + Image
		"proc_creation_win_office_exec_from_trusted_locations.yml", // f99abdf0: ParentImage + Image + CommandLine, a filter
		"proc_creation_win_uac_bypass_computerdefaults.yml",        // 3c05e90d: IntegrityLevel + Image, not ParentImage
	} {
		rs, err := ParseFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rs...)
	}
	const (
		whoami  = "c248c896-e412-4279-8c15-1c558067b6fa"
		mshta   = "03cc0c25-389f-4bf8-b48d-11878079f1ca"
		office  = "f99abdf0-6283-4e71-bd2b-b5c048a94743"
		uac     = "3c05e90d-7eba-4324-9972-5d7f711a60a8"
		sysmonC = "Microsoft-Windows-Sysmon/Operational"
	)
	cases := []struct {
		name string
		ev   Event
		want []string
	}{
		{"whoami /all", security(4688, Event{"NewProcessName": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami  /all",
			"ParentProcessName": `C:\Windows\System32\cmd.exe`, "SubjectUserName": "bob", "MandatoryLabel": "S-1-16-8192", "NewProcessId": "0x1a2c", "ProcessId": "0x10"}), []string{whoami}},
		{"whoami -all with windash", security(4688, Event{"NewProcessName": `C:\Windows\System32\WHOAMI.EXE`, "CommandLine": "whoami -all"}), []string{whoami}},
		{"mshta child", security(4688, Event{"NewProcessName": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "ParentProcessName": `C:\Windows\System32\mshta.exe`, "CommandLine": "powershell -nop"}), []string{mshta}},
		{"mshta parent but a harmless child", security(4688, Event{"NewProcessName": `C:\Windows\System32\calc.exe`, "ParentProcessName": `C:\Windows\System32\mshta.exe`}), nil},
		{"word from a template folder", security(4688, Event{"NewProcessName": `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, "ParentProcessName": `C:\Windows\explorer.exe`,
			"CommandLine": `"WINWORD.EXE" /n "C:\Users\bob\AppData\Roaming\Microsoft\Word\Startup\x.docm"`}), []string{office}},
		{"the rule's filter reads the mapped fields too", security(4688, Event{"NewProcessName": `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, "ParentProcessName": `C:\Windows\explorer.exe`,
			"CommandLine": `"WINWORD.EXE" /n "C:\Users\bob\AppData\Roaming\Microsoft\Templates\x.dotx`}), nil},
		{"high integrity from an odd parent", security(4688, Event{"NewProcessName": `C:\Windows\System32\ComputerDefaults.exe`, "MandatoryLabel": "S-1-16-12288", "ParentProcessName": `C:\Users\bob\evil.exe`}), []string{uac}},
		{"medium integrity", security(4688, Event{"NewProcessName": `C:\Windows\System32\ComputerDefaults.exe`, "MandatoryLabel": "S-1-16-8192", "ParentProcessName": `C:\Users\bob\evil.exe`}), nil},
		{"not filtered out by the mapped parent", security(4688, Event{"NewProcessName": `C:\Windows\System32\ComputerDefaults.exe`, "MandatoryLabel": "S-1-16-12288", "ParentProcessName": `C:\Windows\System32\svchost.exe`}), nil},
		// A 4688 event already normalised to the Sysmon names matches too.
		{"normalised upstream", security(4688, Event{"Image": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}), []string{whoami}},
		// Other Security events are not process creations.
		{"4624 is no process creation", security(4624, Event{"NewProcessName": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}), nil},
		// Sysmon 1 reads Image, not NewProcessName.
		{"sysmon reads its own names", Event{"Channel": sysmonC, "EventID": 1, "NewProcessName": `C:\Windows\System32\whoami.exe`, "Image": `C:\x\cmd.exe`, "CommandLine": "whoami /all"}, nil},
		{"sysmon", Event{"Channel": sysmonC, "EventID": 1, "Image": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}, []string{whoami}},
	}
	for _, cfg := range []Config{{}, {DisablePrefilter: true}, {DisableRouting: true}} {
		rs := Compile(rules, cfg)
		if len(rs.Refused) > 0 || rs.Len() != 4 {
			t.Fatalf("refused %v, %d rules", rs.Refused, rs.Len())
		}
		for _, tc := range cases {
			var got []string
			for _, m := range rs.Evaluate(tc.ev) {
				got = append(got, m.RuleID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s (routing off %v, prefilter off %v): got %v want %v", tc.name, cfg.DisableRouting, cfg.DisablePrefilter, got, tc.want)
			}
		}
	}
}

func TestSecurityFileAndNetwork(t *testing.T) {
	rules, err := Parse("fn.yml", []byte(`title: lsass dump file read
id: f1
logsource: {product: windows, category: file_access}
detection:
  s: {FileName|endswith: '\lsass.dmp', Image|endswith: '\rundll32.exe'}
  condition: s
---
title: rdp out
id: n1
logsource: {product: windows, category: network_connection}
detection:
  s: {Image|endswith: '\mstsc.exe', DestinationPort: 3389, DestinationIp|cidr: 10.0.0.0/8}
  condition: s
---
title: a security rule keeps its own names
id: s1
logsource: {product: windows, service: security}
detection:
  s: {EventID: 4688, Image: x}
  condition: s
`))
	if err != nil {
		t.Fatal(err)
	}
	rs := Compile(rules, Config{})
	for ev, want := range map[*Event]string{
		{"Channel": "Security", "EventID": 4663, "ObjectName": `C:\Temp\lsass.dmp`, "ProcessName": `C:\Windows\System32\rundll32.exe`, "ObjectType": "File"}:                                      "f1",
		{"Channel": "Security", "EventID": 5156, "Application": `\device\harddiskvolume2\windows\system32\mstsc.exe`, "DestAddress": "10.1.2.3", "DestPort": "3389", "SourceAddress": "10.9.9.9"}: "n1",
		{"Channel": "Security", "EventID": 5156, "Application": `\device\harddiskvolume2\windows\system32\mstsc.exe`, "DestAddress": "8.8.8.8", "DestPort": "3389"}:                               "",
		{"Channel": "Security", "EventID": 4688, "NewProcessName": "x"}: "",
		{"Channel": "Security", "EventID": 4688, "Image": "x"}:          "s1",
	} {
		var got string
		for _, m := range rs.Evaluate(*ev) {
			got += m.RuleID
		}
		if got != want {
			t.Errorf("%v: got %q want %q", *ev, got, want)
		}
	}
}

// Windows Defender names its event data with spaces ("Source Name",
// "Threat Name"); SigmaHQ's windefend rules write SourceName and
// ThreatName, and match once the event is flattened.
func TestDefenderNamesWithSpaces(t *testing.T) {
	dir := filepath.Join(sharedSigma(t), "rules", "windows", "builtin", "windefend")
	rules, err := ParseFile(filepath.Join(dir, "win_defender_malware_detected_amsi_source.yml"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := Parse("threat.yml", []byte(`title: Defender threat by name
id: 3f1c0b8e-9d2a-4c39-8a57-6f0d7f1e2a10
logsource: {product: windows, service: windefend}
detection:
  selection:
    EventID: 1116
    ThreatName|endswith: ':Win32/Mimikatz'
    Threat ID: 2147894790
  condition: selection
`))
	if err != nil {
		t.Fatal(err)
	}
	rs := Compile(append(rules, more...), Config{})
	if len(rs.Refused) > 0 {
		t.Fatal(rs.Refused[0].Err)
	}
	ev := FlattenEVTX(map[string]any{"Event": map[string]any{
		"System": map[string]any{"EventID": 1116, "Channel": "Microsoft-Windows-Windows Defender/Operational",
			"Provider": map[string]any{"#attributes": map[string]any{"Name": "Microsoft-Windows-Windows Defender"}}},
		"EventData": map[string]any{"Source Name": "AMSI", "Threat Name": "HackTool:Win32/Mimikatz",
			"Threat ID": "2147894790", "Product Name": "Microsoft Defender Antivirus"}}})
	if ev["ThreatName"] != "HackTool:Win32/Mimikatz" || ev["Threat Name"] != "HackTool:Win32/Mimikatz" {
		t.Fatalf("flattened: %v", ev)
	}
	var got []string
	rs.Matches(ev, WindowsLogSources(ev), func(m *Match) { got = append(got, m.RuleID) })
	slices.Sort(got)
	if want := []string{"3f1c0b8e-9d2a-4c39-8a57-6f0d7f1e2a10", "ea9bf0fa-edec-4fb8-8b78-b119f2528186"}; !slices.Equal(got, want) {
		t.Fatalf("matched %v, want %v", got, want)
	}
	// A member already named without spaces is not overwritten.
	ev = FlattenEVTX(map[string]any{"Event": map[string]any{"System": map[string]any{"EventID": 1116},
		"EventData": map[string]any{"Source Name": "AMSI", "SourceName": "Real-Time Protection"}}})
	if ev["SourceName"] != "Real-Time Protection" {
		t.Fatalf("SourceName = %v", ev["SourceName"])
	}
}
