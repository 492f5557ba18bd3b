package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Message is one welcome email.
type Message struct {
	EventID string
	UserID  int64
	To      string
	Name    string
	Subject string
	Body    string
}

// Sender delivers a Message. An error makes the service retry with backoff,
// unless it wraps a *PermanentError, which goes to the dead-letter topic at
// once. Send must honour ctx: it is cancelled only when a shutdown deadline
// passes.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PermanentError is a send failure that retrying cannot fix (an address the
// mail server refuses, say).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent failure: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err wraps a *PermanentError.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// LogSender "sends" by logging the email: the default, for development and
// smoke tests. Delay simulates a slow provider.
type LogSender struct {
	Logger *slog.Logger
	Delay  time.Duration
}

// Send logs m after Delay. It returns ctx's error if ctx ends first.
func (s LogSender) Send(ctx context.Context, m Message) error {
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.Logger != nil {
		s.Logger.Info("email sent (log sender)", "to", m.To, "subject", m.Subject, "user_id", m.UserID, "event_id", m.EventID)
	}
	return nil
}

// DefaultSubject is the original service's subject template.
const DefaultSubject = "{name}님, 회원 가입을 축하드립니다!"

// defaultBody is the welcome email's text.
const defaultBody = "{name}님, 안녕하세요.\n\n회원 가입을 축하드립니다! ({email})\n"

// Template is a subject or body with {name}, {email} and {userId}
// placeholders, split once into literal text and placeholders.
type Template struct {
	text  string
	parts []tplPart
}

type tplPart struct {
	lit string
	ph  string // "", "name", "email" or "userId"
}

// ParseTemplate checks that every {placeholder} in text is one of {name},
// {email}, {userId}. It returns an error naming the first unknown one. A
// '{' without a closing '}' is literal text.
func ParseTemplate(text string) (Template, error) {
	t := Template{text: text}
	rest := text
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		j := -1
		if i >= 0 {
			j = strings.IndexByte(rest[i:], '}')
		}
		if i < 0 || j < 0 {
			t.parts = append(t.parts, tplPart{lit: rest})
			break
		}
		ph := rest[i+1 : i+j]
		switch ph {
		case "name", "email", "userId":
		default:
			return Template{}, fmt.Errorf("template %q: unknown placeholder {%s}; use {name}, {email} or {userId}", text, ph)
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{lit: rest[:i]})
		}
		t.parts = append(t.parts, tplPart{ph: ph})
		rest = rest[i+j+1:]
	}
	return t, nil
}

// Render fills the placeholders.
func (t Template) Render(name, email string, userID int64) string {
	var b strings.Builder
	b.Grow(len(t.text) + len(name) + len(email))
	for _, p := range t.parts {
		switch p.ph {
		case "":
			b.WriteString(p.lit)
		case "name":
			b.WriteString(name)
		case "email":
			b.WriteString(email)
		case "userId":
			b.WriteString(strconv.FormatInt(userID, 10))
		}
	}
	return b.String()
}
