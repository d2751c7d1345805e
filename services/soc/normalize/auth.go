package normalize

import (
	"strings"
)

// authPrograms are the programs whose messages are Linux authentication
// and privilege events.
var authPrograms = map[string]bool{"sshd": true, "sudo": true, "su": true, "login": true, "systemd-logind": true, "passwd": true, "useradd": true, "userdel": true, "groupadd": true, "usermod": true, "chpasswd": true, "polkitd": true, "sshd-session": true}

// ParseAuth reads a Linux authentication log message (the text after the
// syslog tag) written by program (sshd, sudo, su, login, a PAM module):
// sshd's Accepted/Failed password or publickey, Invalid user, sudo's
// "USER=root ; COMMAND=…", su, and pam_unix session and authentication
// failure lines. The result holds ECS fields only (event.category
// authentication, session or process; event.outcome; user.name;
// source.ip; source.port; process.command_line for sudo). ok is false
// when the message is none of these.
func ParseAuth(program, msg string) (fields map[string]any, ok bool) {
	ev := Event{Fields: map[string]any{}}
	msg = strings.TrimSpace(msg)
	if len(msg) > MaxMessageSize {
		return nil, false
	}
	program = programName(program)
	switch {
	case strings.HasPrefix(msg, "pam_unix(") || strings.HasPrefix(msg, "pam_sss(") || strings.HasPrefix(msg, "pam_systemd("):
		ok = authPAM(ev, msg)
	case program == "sshd" || program == "sshd-session":
		ok = authSSHD(ev, msg)
	case program == "sudo":
		ok = authSudo(ev, msg)
	case program == "su":
		ok = authSu(ev, msg)
	default:
		ok = authSSHD(ev, msg)
	}
	if !ok {
		return nil, false
	}
	if program != "" {
		ev.Fields["process.name"] = program
	}
	return ev.Fields, true
}

// after returns the word following marker in s ("for alice from" → "alice").
func wordAfter(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	rest := s[i+len(marker):]
	if j := strings.IndexAny(rest, " ;,"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func authSSHD(ev Event, msg string) bool {
	var method string
	switch {
	case strings.HasPrefix(msg, "Accepted "):
		ev.Fields[FieldOutcome] = "success"
		ev.Fields[FieldAction] = "ssh_login"
		method = wordAfter(msg, "Accepted ")
	case strings.HasPrefix(msg, "Failed "):
		ev.Fields[FieldOutcome] = "failure"
		ev.Fields[FieldAction] = "ssh_login"
		method = wordAfter(msg, "Failed ")
	case strings.HasPrefix(msg, "Invalid user "), strings.HasPrefix(msg, "Illegal user "):
		ev.Fields[FieldOutcome] = "failure"
		ev.Fields[FieldAction] = "ssh_login"
		// "Invalid user bob from 10.0.0.5 port 22" (the name may be empty)
		rest := msg[len("Invalid user "):]
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			ev.set(FieldUserName, strings.TrimSpace(rest[:i]))
		}
	case strings.HasPrefix(msg, "Connection closed by authenticating user "), strings.HasPrefix(msg, "Disconnected from authenticating user "):
		ev.Fields[FieldOutcome] = "failure"
		ev.Fields[FieldAction] = "ssh_login"
		ev.set(FieldUserName, wordAfter(msg, "authenticating user "))
		// "… user alice 10.0.0.5 port 51234 [preauth]"
		f := strings.Fields(msg)
		for i := range f {
			if f[i] == "port" && i > 0 {
				ev.setIP(FieldSourceIP, f[i-1])
				if i+1 < len(f) {
					ev.setPort(FieldSourcePort, f[i+1])
				}
				break
			}
		}
	case strings.HasPrefix(msg, "error: maximum authentication attempts exceeded for "):
		ev.Fields[FieldOutcome] = "failure"
		ev.Fields[FieldAction] = "ssh_login"
		u := wordAfter(msg, "exceeded for ")
		if u == "invalid" {
			u = wordAfter(msg, "invalid user ")
		}
		ev.set(FieldUserName, u)
	default:
		return false
	}
	if method != "" {
		ev.Fields["auth.method"] = method // password, publickey, keyboard-interactive/pam
		u := wordAfter(msg, " for ")
		if u == "invalid" {
			u = wordAfter(msg, " for invalid user ")
		}
		ev.set(FieldUserName, u)
	}
	if _, ok := ev.Fields[FieldSourceIP]; !ok {
		ev.setIP(FieldSourceIP, wordAfter(msg, " from "))
		ev.setPort(FieldSourcePort, wordAfter(msg, " port "))
	}
	ev.addCategory("authentication")
	ev.addType("start")
	return true
}

// authSudo reads "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ;
// COMMAND=/usr/bin/id" and its failure forms ("3 incorrect password
// attempts ;", "user NOT in sudoers ;", "command not allowed ;").
func authSudo(ev Event, msg string) bool {
	parts := strings.Split(msg, " ; ")
	if len(parts) < 2 {
		return false
	}
	head := parts[0]
	user, reason, _ := strings.Cut(head, " : ")
	user = strings.TrimSpace(user)
	if user == "" || strings.ContainsAny(user, " =") {
		return false
	}
	found := false
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "USER":
			ev.set("user.effective.name", strings.TrimSpace(v))
			found = true
		case "COMMAND":
			ev.set("process.command_line", strings.TrimSpace(v))
			if exe, _, _ := strings.Cut(strings.TrimSpace(v), " "); exe != "" {
				ev.set("process.executable", exe)
			}
			found = true
		case "PWD":
			ev.set("process.working_directory", strings.TrimSpace(v))
		case "TTY":
			ev.set("process.tty.name", strings.TrimSpace(v))
		}
	}
	if !found {
		return false
	}
	ev.Fields[FieldUserName] = user
	ev.Fields[FieldAction] = "sudo"
	ev.addCategory("process")
	if reason == "" || strings.HasPrefix(reason, "TTY=") {
		ev.Fields[FieldOutcome] = "success"
		ev.addType("start")
	} else {
		ev.Fields[FieldOutcome] = "failure"
		ev.addCategory("authentication")
		ev.set("event.reason", strings.TrimSpace(reason))
		ev.addType("denied")
	}
	return true
}

// authSu reads the classic su lines: "(to root) alice on pts/0",
// "FAILED SU (to root) alice on pts/0", "Successful su for root by alice",
// "FAILED su for root by alice".
func authSu(ev Event, msg string) bool {
	switch {
	case strings.HasPrefix(msg, "(to "), strings.HasPrefix(msg, "+ "):
		ev.Fields[FieldOutcome] = "success"
	case strings.HasPrefix(msg, "FAILED SU (to "), strings.HasPrefix(msg, "FAILED su for "), strings.HasPrefix(msg, "- "):
		ev.Fields[FieldOutcome] = "failure"
	case strings.HasPrefix(msg, "Successful su for "):
		ev.Fields[FieldOutcome] = "success"
	default:
		return false
	}
	if t := wordAfter(msg, "(to "); t != "" {
		ev.set("user.effective.name", strings.TrimSuffix(t, ")"))
		if i := strings.Index(msg, ") "); i >= 0 {
			ev.set(FieldUserName, wordAfter(msg[i:], ") "))
		}
	} else {
		ev.set("user.effective.name", wordAfter(msg, "su for "))
		ev.set(FieldUserName, wordAfter(msg, " by "))
	}
	ev.Fields[FieldAction] = "su"
	ev.addCategory("authentication")
	ev.addType("start")
	return true
}

// authPAM reads pam_unix lines: "pam_unix(sshd:session): session opened
// for user alice(uid=1000) by (uid=0)", "… session closed for user alice",
// and "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0
// tty=ssh ruser= rhost=10.0.0.5  user=alice".
func authPAM(ev Event, msg string) bool {
	svc := ""
	if i, j := strings.IndexByte(msg, '('), strings.IndexByte(msg, ')'); i >= 0 && j > i {
		svc, _, _ = strings.Cut(msg[i+1:j], ":")
	}
	switch {
	case strings.Contains(msg, "session opened for user "):
		u := wordAfter(msg, "session opened for user ")
		u, _, _ = strings.Cut(u, "(")
		ev.set(FieldUserName, u)
		// "for user root(uid=0) by alice(uid=1000)": alice became root.
		by, _, _ := strings.Cut(wordAfter(msg, " by "), "(")
		if by != "" && by != u {
			ev.set("user.effective.name", u)
			ev.set(FieldUserName, by)
		}
		ev.addCategory("session")
		ev.addType("start")
		ev.Fields[FieldAction] = "session_opened"
		ev.Fields[FieldOutcome] = "success"
	case strings.Contains(msg, "session closed for user "):
		u := wordAfter(msg, "session closed for user ")
		u, _, _ = strings.Cut(u, "(")
		ev.set(FieldUserName, u)
		ev.addCategory("session")
		ev.addType("end")
		ev.Fields[FieldAction] = "session_closed"
		ev.Fields[FieldOutcome] = "success"
	case strings.Contains(msg, "authentication failure;"):
		ev.set(FieldUserName, wordAfter(msg, " user="))
		ev.setIP(FieldSourceIP, wordAfter(msg, " rhost="))
		if ev.Fields[FieldUserName] == nil {
			ev.set(FieldUserName, wordAfter(msg, " ruser="))
		}
		ev.addCategory("authentication")
		ev.addType("start")
		ev.Fields[FieldAction] = "authentication_failure"
		ev.Fields[FieldOutcome] = "failure"
	default:
		return false
	}
	if svc != "" {
		ev.Fields["service.name"] = svc
	}
	return true
}
