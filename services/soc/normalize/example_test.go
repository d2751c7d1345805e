package normalize_test

import (
	"fmt"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
)

func ExampleNormalize() {
	raw := []byte(`<86>Nov 26 04:01:58 web1 sshd[812]: Failed password for root from 203.0.113.5 port 4242 ssh2`)
	ev, err := normalize.Normalize(raw, normalize.FormatAuto, time.Date(2026, 11, 26, 4, 2, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Format)
	for _, k := range []string{"@timestamp", "event.category", "event.outcome", "user.name", "source.ip", "source.port", "host.name", "process.name"} {
		fmt.Printf("%s: %s\n", k, ev.String(k))
	}
	// Output:
	// linux_auth
	// @timestamp: 2026-11-26T04:01:58Z
	// event.category: authentication
	// event.outcome: failure
	// user.name: root
	// source.ip: 203.0.113.5
	// source.port: 4242
	// host.name: web1
	// process.name: sshd
}

// A Windows event keeps its native field names in Native, the map the
// Sigma engine evaluates (sigma.Event is a map[string]any).
func ExampleNormalize_windows() {
	raw := []byte(`{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4688,"Channel":"Security","Computer":"ws01","TimeCreated":{"#attributes":{"SystemTime":"2026-11-26T04:01:58.5Z"}}},"EventData":{"SubjectUserName":"alice","NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ParentProcessName":"C:\\Windows\\System32\\cmd.exe"}}}`)
	ev, err := normalize.Normalize(raw, normalize.FormatAuto, time.Now())
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.String("process.executable"), "|", ev.String("process.command_line"), "|", ev.String("user.name"))
	fmt.Println(ev.Native["NewProcessName"], "|", ev.Native["EventID"], "|", ev.Native["Channel"])
	// Output:
	// C:\Windows\System32\whoami.exe | whoami /all | alice
	// C:\Windows\System32\whoami.exe | 4688 | Security
}
