package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"time"
)

// SMTPSender sends through an SMTP server (net/smtp): STARTTLS when the
// server offers it, PLAIN authentication when Username is set. A 5xx reply
// is a permanent failure; anything else is retried.
type SMTPSender struct {
	Addr     string // host:port
	From     string // "Name <addr>" or "addr"
	Username string
	Password string
	Timeout  time.Duration // per email; default 30s
	// TLSConfig for STARTTLS; default verifies the server as Addr's host.
	TLSConfig *tls.Config
}

// Check validates the sender's settings. It returns an error naming the bad
// field.
func (s *SMTPSender) Check() error {
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		return fmt.Errorf("--smtp-addr %q: want host:port, e.g. localhost:25", s.Addr)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("--smtp-from %q: not an email address", s.From)
	}
	return nil
}

// Send delivers m. It returns a *PermanentError for 5xx replies.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("smtp address %q: %w", s.Addr, err))
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return Permanent(fmt.Errorf("smtp from %q: %w", s.From, err))
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp dial %s: %w", s.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := s.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(tc); err != nil {
			return classify("STARTTLS", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return classify("AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return classify("RCPT TO "+m.To, err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(compose(from.String(), m)); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("DATA", err)
	}
	// The message was accepted at the end of DATA: a failing QUIT changes
	// nothing.
	_ = c.Quit()
	return nil
}

func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(fmt.Errorf("smtp %s: %w", step, err))
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// compose renders m as an RFC 5322 message: UTF-8 subject (RFC 2047) and a
// base64 text body; the Message-ID carries the event ID.
func compose(from string, m Message) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", m.To)
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", time.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+m.EventID+"@kctl.email>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
