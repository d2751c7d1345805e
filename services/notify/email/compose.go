package email

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

// Compose renders msg as an RFC 5322 message: Message-ID, Date, From,
// To, a Subject encoded per RFC 2047, References that thread every
// message about one incident, and a multipart/alternative body with a
// text and an HTML part, both quoted-printable.
func Compose(msg notify.Message, from *mail.Address, to []*mail.Address, now time.Time) ([]byte, error) {
	domain := "opsward.invalid"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	thread := sha256.Sum256([]byte(msg.TenantID + "\x00" + msg.Key()))
	threadID := "<" + hex.EncodeToString(thread[:16]) + ".thread@" + domain + ">"

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("Message-ID", "<"+hex.EncodeToString(rnd[:])+"."+string(msg.State)+"@"+domain+">")
	h("Date", now.Format(time.RFC1123Z))
	h("From", from.String())
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	h("To", strings.Join(tos, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Headline())))
	h("References", threadID)
	h("In-Reply-To", threadID)
	h("Auto-Submitted", "auto-generated")
	h("X-Auto-Response-Suppress", "All")
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")

	for _, part := range []struct {
		ctype string
		body  func(*bytes.Buffer) error
	}{
		{"text/plain; charset=utf-8", func(b *bytes.Buffer) error { writeText(b, msg); return nil }},
		{"text/html; charset=utf-8", func(b *bytes.Buffer) error { return htmlBody.Execute(b, view(msg)) }},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, opsward.Internal(err)
		}
		var body bytes.Buffer
		if err := part.body(&body); err != nil {
			return nil, opsward.Internal(err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(body.Bytes()); err != nil {
			return nil, opsward.Internal(err)
		}
		if err := qp.Close(); err != nil {
			return nil, opsward.Internal(err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, opsward.Internal(err)
	}
	return buf.Bytes(), nil
}

// ComposeMail renders m as an RFC 5322 message: a text part and, when m
// has one, an HTML part, both quoted-printable.
func ComposeMail(m Mail, from *mail.Address, to []*mail.Address, now time.Time) ([]byte, error) {
	domain := "opsward.invalid"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("Message-ID", "<"+hex.EncodeToString(rnd[:])+"@"+domain+">")
	h("Date", now.Format(time.RFC1123Z))
	h("From", from.String())
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	h("To", strings.Join(tos, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	parts := [][2]string{{"text/plain; charset=utf-8", m.Text}}
	if m.HTML != "" {
		parts = append(parts, [2]string{"text/html; charset=utf-8", m.HTML})
	}
	for _, part := range parts {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part[0]},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, opsward.Internal(err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part[1])); err != nil {
			return nil, opsward.Internal(err)
		}
		if err := qp.Close(); err != nil {
			return nil, opsward.Internal(err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, opsward.Internal(err)
	}
	return buf.Bytes(), nil
}

// oneLine keeps a header value on one line whatever the title holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type fact struct{ Name, Value string }

type htmlView struct {
	Headline, Summary, Link, Color string
	Facts                          []fact
}

func facts(msg notify.Message) []fact {
	fs := []fact{{"Severity", string(msg.Severity)}, {"State", string(msg.State)}}
	if msg.TenantName != "" {
		fs = append(fs, fact{"Customer", msg.TenantName})
	}
	if msg.Source != "" {
		fs = append(fs, fact{"Source", msg.Source})
	}
	for _, f := range msg.Fields {
		fs = append(fs, fact{f.Name, f.Value})
	}
	return append(fs, fact{"Time", msg.Time.UTC().Format(time.RFC1123)}, fact{"Reference", msg.Ref.Kind + " " + msg.Ref.ID})
}

func view(msg notify.Message) htmlView {
	color := map[notify.State]string{notify.StateTriggered: "#c0392b", notify.StateAcknowledged: "#d68910", notify.StateResolved: "#1e8449"}[msg.State]
	return htmlView{Headline: msg.Headline(), Summary: msg.Summary, Link: msg.Link, Color: color, Facts: facts(msg)}
}

func writeText(b *bytes.Buffer, msg notify.Message) {
	b.WriteString(msg.Headline() + "\n\n")
	if msg.Summary != "" {
		b.WriteString(msg.Summary + "\n\n")
	}
	for _, f := range facts(msg) {
		fmt.Fprintf(b, "%s: %s\n", f.Name, f.Value)
	}
	if msg.Link != "" {
		b.WriteString("\nOpen in Opsward: " + msg.Link + "\n")
	}
}

var htmlBody = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:Arial,Helvetica,sans-serif;color:#222">
<h2 style="color:{{.Color}};margin:0 0 12px">{{.Headline}}</h2>
{{if .Summary}}<p style="white-space:pre-wrap">{{.Summary}}</p>{{end}}
<table cellpadding="4" style="border-collapse:collapse">
{{range .Facts}}<tr><th align="left" style="color:#555">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{if .Link}}<p><a href="{{.Link}}">Open in Opsward</a></p>{{end}}
</body></html>
`))
