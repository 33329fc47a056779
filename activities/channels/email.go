package channels

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// sendEmail sends m to the channel's recipients over SMTP: STARTTLS is
// required (a server that does not offer it is refused, so the password
// and the text never cross in the clear), then AUTH PLAIN when a username
// is set. roots, when set, replaces the system's CAs (tests).
func sendEmail(ctx context.Context, c Config, m Message, roots *x509.CertPool, now time.Time) (err error) {
	host := c.Settings.SMTPHost
	addr := net.JoinHostPort(host, strconv.Itoa(c.Settings.SMTPPort))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting from %s: %w", addr, err)
	}
	defer cl.Close()
	if err := cl.Hello("shaobao"); err != nil {
		return fmt.Errorf("smtp EHLO: %w", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); !ok {
		return errors.New("smtp server does not offer STARTTLS: refused to send in the clear")
	}
	if err := cl.StartTLS(&tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}); err != nil {
		return fmt.Errorf("smtp STARTTLS: %w", err)
	}
	if c.Settings.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.Settings.Username, c.Secrets.Password, host)); err != nil {
			return fmt.Errorf("smtp AUTH: %w", err)
		}
	}
	from, _ := mail.ParseAddress(c.Settings.From)
	if err := cl.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, to := range c.Settings.To {
		a, _ := mail.ParseAddress(to)
		if err := cl.Rcpt(a.Address); err != nil {
			return fmt.Errorf("smtp RCPT TO %s: %w", a.Address, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(EmailBody(c.Settings, m, now)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return cl.Quit()
}

// EmailBody is the RFC 5322 message: the subject encoded for UTF-8, the
// text as base64 UTF-8 plain text.
func EmailBody(s Settings, m Message, now time.Time) []byte {
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", encodeAddress(s.From))
	to := make([]string, len(s.To))
	for i, a := range s.To {
		to[i] = encodeAddress(a)
	}
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Text()))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// encodeAddress writes an address for a header, a Chinese display name
// encoded as RFC 2047 asks.
func encodeAddress(a string) string {
	if p, err := mail.ParseAddress(a); err == nil {
		return p.String()
	}
	return a
}
