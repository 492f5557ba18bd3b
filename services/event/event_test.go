package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewMarshalParseRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.FixedZone("KST", 9*3600))
	ev, err := New(12, "sender@test.com", "김이름", at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 6 || raw["type"] != "UserSignedUp" || raw["userId"] != float64(12) || raw["occurredAt"] != "2026-01-01T18:04:05.006Z" {
		t.Errorf("event JSON = %s", b)
	}
	if string(ev.Key()) != "12" {
		t.Errorf("key = %q", ev.Key())
	}
	got, err := Parse(b)
	if err != nil || got != ev {
		t.Errorf("Parse = %+v, %v; want %+v", got, err, ev)
	}
	if err := CheckNoPassword(b); err != nil {
		t.Errorf("CheckNoPassword(clean event) = %v", err)
	}
}

func TestParseRefusesWhatIsNotAnEvent(t *testing.T) {
	for _, v := range []string{
		``, `not json`, `[]`, `{"type":"Other","eventId":"6f1c0a5e-9a7b-4c1e-8d8e-2b1f4a3c5d6e","userId":1,"email":"a@b","occurredAt":"2026-01-01T00:00:00Z"}`,
		`{"type":"UserSignedUp","eventId":"x","userId":1,"email":"a@b","occurredAt":"2026-01-01T00:00:00Z"}`,
		`{"type":"UserSignedUp","eventId":"6f1c0a5e-9a7b-4c1e-8d8e-2b1f4a3c5d6e","userId":0,"email":"a@b","occurredAt":"2026-01-01T00:00:00Z"}`,
		`{"type":"UserSignedUp","eventId":"6f1c0a5e-9a7b-4c1e-8d8e-2b1f4a3c5d6e","userId":1,"email":"","occurredAt":"2026-01-01T00:00:00Z"}`,
		`{"type":"UserSignedUp","eventId":"6f1c0a5e-9a7b-4c1e-8d8e-2b1f4a3c5d6e","userId":1,"email":"a@b"}`,
	} {
		_, err := Parse([]byte(v))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want a *ParseError", v, err)
		}
	}
}

func TestCheckNoPasswordFindsPasswordData(t *testing.T) {
	for _, v := range []string{
		`{"password":"1234"}`, `{"user":{"passwordHash":"x"}}`, `{"pwd":"x"}`,
		`{"note":"$2a$10$abcdefghijklmnopqrstuv"}`, `{"a":[{"secret":1}]}`,
	} {
		if err := CheckNoPassword([]byte(v)); !errors.Is(err, ErrPasswordData) {
			t.Errorf("CheckNoPassword(%s) = %v, want ErrPasswordData", v, err)
		}
	}
	if err := CheckNoPassword([]byte("nope")); err == nil || errors.Is(err, ErrPasswordData) || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("CheckNoPassword(non-JSON) = %v", err)
	}
}

func TestCheckNoSecrets(t *testing.T) {
	bad := map[string]string{
		`{"eventId":"x","password":"hunter2"}`:               "password",
		`{"PassWord":"x"}`:                                   "PassWord",
		`{"passwordHash":"$2a$10$abc"}`:                      "passwordHash",
		`{"profile":{"secret":"s"}}`:                         "profile.secret",
		`{"items":[{"access_token":"t"}]}`:                   "items.0.access_token",
		`{"API-Key":"k"}`:                                    "API-Key",
		`{"\u0070assword":"escaped name"}`:                   "password",
		`{"meta":{"clientSecret":"c"},"email":"a@test.com"}`: "meta.clientSecret",
	}
	for in, field := range bad {
		err := CheckNoSecrets([]byte(in))
		var pe *PolicyViolationError
		if !errors.As(err, &pe) || pe.Field != field || !errors.Is(err, ErrSecretField) {
			t.Errorf("CheckNoSecrets(%s) = %v, want a policy violation naming %q", in, err, field)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the secret's value: %v", err)
		}
	}
	for _, in := range []string{
		`{"eventId":"5f0c","type":"UserSignedUp","userId":1,"email":"a@test.com","name":"Pat Token","occurredAt":"2024-01-01T00:00:00Z"}`,
		`not json`, `{"name":"my password is long"}`,
	} {
		if err := CheckNoSecrets([]byte(in)); err != nil {
			t.Errorf("CheckNoSecrets(%s) = %v, want nil (only field names count)", in, err)
		}
	}
}

// TestMayHoldSecretNameMatchesLowercasing: the one-pass pre-check answers
// as lowercasing the whole value (bytes.ToLower, Unicode rules) and
// dropping '_', '-', '.' does, non-ASCII letters whose lower case is
// ASCII included (the Kelvin sign K is a 'k').
func TestMayHoldSecretNameMatchesLowercasing(t *testing.T) {
	reference := func(v []byte) bool {
		if bytes.IndexByte(v, '\\') >= 0 {
			return true
		}
		l := bytes.ToLower(v)
		for _, c := range []string{"_", "-", "."} {
			l = bytes.ReplaceAll(l, []byte(c), nil)
		}
		for _, w := range secretWords {
			if bytes.Contains(l, []byte(w)) {
				return true
			}
		}
		return false
	}
	for _, v := range []string{
		`{"eventId":"0192e0c4-7b1a","email":"user1@test.com","name":"이름1"}`,
		`{"PassWord":"x"}`, `{"pass_word":"x"}`, `{"p.a-s_sword":"x"}`, "{\"to\u212Aen\":\"x\"}",
		`{"toKen":"x"}`, `{"tok이en":"x"}`, `{"API-Key":"x"}`, `{"name":"Private.Key holder"}`,
		"{\"x\":\"\u0130\"}", "{\"bad\":\"\xff\xfetoken\"}", `{"a":"b\\"}`, ``, `{}`,
	} {
		if got, want := mayHoldSecretName([]byte(v)), reference([]byte(v)); got != want {
			t.Errorf("mayHoldSecretName(%s) = %v, lowercasing says %v", v, got, want)
		}
	}
}
