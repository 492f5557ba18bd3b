// Package event is the UserSignedUp event the users service publishes and
// the email service consumes (docs/design.md §5). It is the only definition of
// the wire shape: both services and kctl smoke use it.
package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Topic names and the email service's consumer group (docs/design.md §1, §5).
const (
	Topic         = "user.signed-up"
	DLTSuffix     = ".dlt"
	ConsumerGroup = "email-service"
	// TypeUserSignedUp is the "type" field of a UserSignedUp event.
	TypeUserSignedUp = "UserSignedUp"
)

// DLTTopic returns the dead-letter topic of topic: topic + ".dlt".
func DLTTopic(topic string) string { return topic + DLTSuffix }

// UserSignedUp is the JSON value of a record on user.signed-up. It never
// carries a password or its hash.
type UserSignedUp struct {
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	UserID     int64     `json:"userId"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	OccurredAt time.Time `json:"occurredAt"`
}

// New returns a UserSignedUp event with a fresh random (v4) event ID and
// occurredAt set to at in UTC. It returns an error only when the system's
// random source fails.
func New(userID int64, email, name string, at time.Time) (UserSignedUp, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return UserSignedUp{}, fmt.Errorf("new event id: %w", err)
	}
	return UserSignedUp{
		EventID:    id.String(),
		Type:       TypeUserSignedUp,
		UserID:     userID,
		Email:      email,
		Name:       name,
		OccurredAt: at.UTC(),
	}, nil
}

// Key returns the record key of the event: the user ID in decimal, so every
// event of one user lands on one partition.
func (e UserSignedUp) Key() []byte { return fmt.Appendf(nil, "%d", e.UserID) }

// Marshal returns the event's JSON value; occurredAt is RFC 3339 in UTC.
func (e UserSignedUp) Marshal() ([]byte, error) { return json.Marshal(e) }

// ParseError says a record value is not a valid UserSignedUp event. Records
// that fail to parse go to the dead-letter topic at once.
type ParseError struct {
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	if e.Err != nil {
		return "not a UserSignedUp event: " + e.Reason + ": " + e.Err.Error()
	}
	return "not a UserSignedUp event: " + e.Reason
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse decodes and validates a record value. It returns a *ParseError when
// the value is not JSON, is not a UserSignedUp, or lacks a required field
// (eventId as a UUID, userId > 0, email, occurredAt). Unknown fields are
// ignored so producers may add fields.
func Parse(value []byte) (UserSignedUp, error) {
	var e UserSignedUp
	if len(bytes.TrimSpace(value)) == 0 {
		return e, &ParseError{Reason: "empty value"}
	}
	if err := json.Unmarshal(value, &e); err != nil {
		return e, &ParseError{Reason: "invalid JSON", Err: err}
	}
	switch {
	case e.Type != TypeUserSignedUp:
		return e, &ParseError{Reason: fmt.Sprintf("type is %q, want %q", e.Type, TypeUserSignedUp)}
	case e.EventID == "":
		return e, &ParseError{Reason: "eventId is missing"}
	case uuid.Validate(e.EventID) != nil:
		return e, &ParseError{Reason: fmt.Sprintf("eventId %q is not a UUID", e.EventID)}
	case e.UserID <= 0:
		return e, &ParseError{Reason: "userId is missing or not positive"}
	case strings.TrimSpace(e.Email) == "":
		return e, &ParseError{Reason: "email is missing"}
	case e.OccurredAt.IsZero():
		return e, &ParseError{Reason: "occurredAt is missing"}
	}
	return e, nil
}

// ErrPasswordData says an event value carries password data.
var ErrPasswordData = errors.New("event carries password data")

// CheckNoPassword returns an error wrapping ErrPasswordData, naming the
// culprit, when a raw event value has a key that looks like a password
// ("password", "passwd", "pwd", "hash", "secret", any case, at any depth) or
// a value that looks like a bcrypt or argon2 hash. It returns a plain error
// when value is not JSON, and nil when the value is clean.
func CheckNoPassword(value []byte) error {
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		return fmt.Errorf("event value is not JSON: %w", err)
	}
	return walk(v, "")
}

func walk(v any, path string) error {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			lk := strings.ToLower(k)
			for _, bad := range []string{"password", "passwd", "pwd", "hash", "secret"} {
				if strings.Contains(lk, bad) {
					return fmt.Errorf("%w: field %q", ErrPasswordData, path+k)
				}
			}
			if err := walk(x, path+k+"."); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range t {
			if err := walk(x, fmt.Sprintf("%s%d.", path, i)); err != nil {
				return err
			}
		}
	case string:
		for _, p := range []string{"$2a$", "$2b$", "$2y$", "$argon2"} {
			if strings.HasPrefix(t, p) {
				return fmt.Errorf("%w: field %q holds a password hash", ErrPasswordData, strings.TrimSuffix(path, "."))
			}
		}
	}
	return nil
}

// ErrSecretField says an event carries a field named like a secret.
var ErrSecretField = errors.New("event carries a secret-like field")

// PolicyViolationError says a record value breaks the event policy: it has
// a field named like a secret (password, passwordHash, secret, token, API
// key, credential, private key; any case, at any depth). Such an event goes
// to the dead-letter topic (this type named in kafka_dlt-exception-fqcn) and
// never to the sender or the log; the error names the field, never its value.
type PolicyViolationError struct {
	Field string // JSON path, e.g. "profile.passwordHash"
}

func (e *PolicyViolationError) Error() string {
	return fmt.Sprintf("policy violation: event field %q is named like a secret; events must never carry secrets", e.Field)
}

func (e *PolicyViolationError) Unwrap() error { return ErrSecretField }

// secretWords are matched against field names lowercased with '_', '-' and
// '.' removed.
var secretWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "privatekey"}

// CheckNoSecrets returns a *PolicyViolationError when the JSON value has a
// field named like a secret (see PolicyViolationError), and nil otherwise —
// also when value is not JSON (Parse reports that).
func CheckNoSecrets(value []byte) error {
	if !mayHoldSecretName(value) {
		return nil
	}
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		return nil
	}
	if f := secretField(v, ""); f != "" {
		return &PolicyViolationError{Field: f}
	}
	return nil
}

// mayHoldSecretName is a fast pre-check: false when no secret word can be a
// field name of value. A backslash (an escaped name) always needs the full
// check.
func mayHoldSecretName(value []byte) bool {
	if bytes.IndexByte(value, '\\') >= 0 {
		return true
	}
	// One pass (this runs for every event): lowercased, '_', '-' and '.'
	// dropped. The words are ASCII, so a rune whose lower case is not
	// ASCII only has to break a match (0x80 stands for it); one whose lower
	// case is (the Kelvin sign's is 'k') must match as that letter.
	lower := make([]byte, 0, len(value))
	for i := 0; i < len(value); {
		c := value[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(value[i:])
			i += n
			if l := unicode.ToLower(r); l < utf8.RuneSelf {
				c = byte(l)
			} else {
				lower = append(lower, 0x80)
				continue
			}
		} else {
			i++
		}
		switch {
		case c == '_' || c == '-' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	for _, w := range secretWords {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

func secretField(v any, path string) string {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			n := strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(k))
			for _, w := range secretWords {
				if strings.Contains(n, w) {
					return path + k
				}
			}
			if f := secretField(x, path+k+"."); f != "" {
				return f
			}
		}
	case []any:
		for i, x := range t {
			if f := secretField(x, fmt.Sprintf("%s%d.", path, i)); f != "" {
				return f
			}
		}
	}
	return ""
}
