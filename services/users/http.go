package users

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kctl/kctl/services/internal/svc"
	"golang.org/x/crypto/bcrypt"
)

// MaxBodyBytes is the largest sign-up body accepted (64 KiB); larger is 413.
const MaxBodyBytes = 64 << 10

// Input limits. bcrypt reads at most 72 bytes of a password: a longer one
// is refused rather than silently truncated.
const (
	maxEmailBytes    = 254
	maxNameRunes     = 200
	maxPasswordBytes = 72
)

// SignUpRequest is the body of POST /api/users.
type SignUpRequest struct {
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	Password *string `json:"password"`
}

// SignUpResponse is the 201 answer: the user, never the password.
type SignUpResponse struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// badRequest is a refused input: the field (if any) and why.
type badRequest struct{ field, msg string }

func (s *Service) reject(w http.ResponseWriter, code int, reason, field, msg string) {
	s.m.rejected.WithLabelValues(reason).Inc()
	svc.WriteError(w, code, field, msg)
}

// errQueueTimeout says a sign-up waited Config.QueueTimeout for a hash slot.
var errQueueTimeout = errors.New("queued too long")

// limit admits at most Config.MaxInFlight sign-ups at once and answers one
// more 503 with Retry-After at once, before its body is read: overload is a
// fast refusal, never a dropped connection. An admitted request may take
// QueueTimeout in the hash queue and then the hash and the store; its write
// deadline covers all of that plus the server's own minute for the answer
// (svc.StartServer's WriteTimeout counts from the request's start, so a
// request queued behind a burst would otherwise be handled, stored, and its
// connection closed without an answer).
func (s *Service) limit(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.inFlight <- struct{}{}:
		default:
			s.overloaded(w, fmt.Sprintf("overloaded: %d sign-ups are in flight (--max-in-flight); retry after %ds", s.cfg.MaxInFlight, retryAfter))
			return
		}
		defer func() { <-s.inFlight }()
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.QueueTimeout + s.cfg.BodyTimeout + time.Minute)); err != nil {
			s.log.Debug("sign-up: cannot set the write deadline; the server's write timeout applies", "err", err)
		}
		h(w, r)
	}
}

// overloaded answers 503 with Retry-After.
func (s *Service) overloaded(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	s.reject(w, http.StatusServiceUnavailable, "overloaded", "", msg)
}

// handleSignUp is POST /api/users. Every check runs before anything is
// written: a refused request stores and publishes nothing.
func (s *Service) handleSignUp(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if !isJSON(ct) {
		if ct == "" {
			ct = "none"
		}
		s.reject(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "",
			fmt.Sprintf("Content-Type must be application/json (got %s)", ct))
		return
	}
	if cs := charset(ct); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		s.reject(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "",
			fmt.Sprintf("Content-Type charset=%s: only UTF-8 is accepted; send UTF-8 JSON with charset=utf-8 or no charset", cs))
		return
	}
	if r.ContentLength > MaxBodyBytes {
		// Answered from the header: closing the connection stops the
		// server from first reading (and waiting for) the declared body.
		w.Header().Set("Connection", "close")
		s.reject(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("body is %d bytes; the limit is %d (64 KiB)", r.ContentLength, MaxBodyBytes))
		return
	}
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
		s.log.Debug("sign-up: cannot set the body's read deadline; the server's read timeout applies", "err", err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		w.Header().Set("Connection", "close")
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			s.reject(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("body is over the limit of %d bytes (64 KiB)", MaxBodyBytes))
		case errors.As(err, &ne) && ne.Timeout():
			s.reject(w, http.StatusBadRequest, "invalid", "", fmt.Sprintf("the body did not arrive within %s; send it at once after the headers", s.cfg.BodyTimeout))
		default:
			// Never the error itself: it names the sockets.
			s.reject(w, http.StatusBadRequest, "invalid", "", "the body could not be read: the connection broke or the body is shorter than its Content-Length")
		}
		return
	}
	email, name, password, bad := parseSignUp(body)
	if bad != nil {
		s.reject(w, http.StatusBadRequest, "invalid", bad.field, bad.msg)
		return
	}
	ctx := r.Context()
	taken, err := s.emailTaken(ctx, email)
	if err != nil {
		s.log.Error("sign-up: read users", "err", err)
		s.reject(w, http.StatusInternalServerError, "error", "", "cannot read the users database")
		return
	}
	if taken {
		s.reject(w, http.StatusConflict, "duplicate", "email", fmt.Sprintf("email: %s is already registered", email))
		return
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		if errors.Is(err, errQueueTimeout) {
			s.overloaded(w, fmt.Sprintf("overloaded: waited %s for a password hash slot; nothing was stored; retry after %ds", s.cfg.QueueTimeout, retryAfter))
			return
		}
		if ctx.Err() != nil {
			return // the client went away while queued: no one to answer
		}
		s.log.Error("sign-up: hash password", "err", err)
		s.reject(w, http.StatusInternalServerError, "error", "", "cannot hash the password")
		return
	}
	if s.beforeStore != nil {
		s.beforeStore()
	}
	u, ev, err := s.createUser(ctx, email, name, string(hash))
	if errors.Is(err, errDuplicateEmail) {
		s.reject(w, http.StatusConflict, "duplicate", "email", fmt.Sprintf("email: %s is already registered", email))
		return
	}
	if err != nil {
		s.log.Error("sign-up: store user", "err", err)
		s.reject(w, http.StatusInternalServerError, "error", "", "cannot store the user")
		return
	}
	s.relay.wake()
	s.m.signups.Inc()
	s.log.Info("sign-up accepted", "user_id", u.ID, "event_id", ev.EventID)
	w.Header().Set("Location", "/api/users/"+strconv.FormatInt(u.ID, 10))
	svc.WriteJSON(w, http.StatusCreated, SignUpResponse{ID: u.ID, Email: u.Email, Name: u.Name})
}

// charset returns the charset parameter of a Content-Type, "" if none.
func charset(ct string) string {
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// isJSON accepts application/json and application/*+json, with parameters.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// parseSignUp decodes and validates a sign-up body. It returns the email,
// the trimmed name and the password, or what is wrong, naming the field.
func parseSignUp(body []byte) (email, name, password string, bad *badRequest) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", "", "", &badRequest{"", `invalid JSON: the body is empty; send {"email","name","password"}`}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req SignUpRequest
	if err := dec.Decode(&req); err != nil {
		return "", "", "", decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", "", &badRequest{"", "invalid JSON: unexpected data after the object"}
	}
	if f := invalidUTF8Field(body); f != "" {
		return "", "", "", &badRequest{f, fmt.Sprintf("%s: not valid UTF-8; send the text as UTF-8", f)}
	}
	if !utf8.Valid(body) {
		return "", "", "", &badRequest{"", "invalid JSON: the body is not valid UTF-8"}
	}
	if f := repeatedField(body); f != "" {
		// encoding/json would keep the last value; a proxy or log reading
		// the first would see another user.
		return "", "", "", &badRequest{f, fmt.Sprintf("%s: given more than once; send each field once", f)}
	}
	switch {
	case req.Email == nil:
		return "", "", "", &badRequest{"email", "email: required"}
	case req.Name == nil:
		return "", "", "", &badRequest{"name", "name: required"}
	case req.Password == nil:
		return "", "", "", &badRequest{"password", "password: required"}
	}
	email, name, password = *req.Email, strings.TrimSpace(*req.Name), *req.Password
	if email == "" {
		return "", "", "", &badRequest{"email", "email: must not be empty"}
	}
	if len(email) > maxEmailBytes {
		return "", "", "", &badRequest{"email", fmt.Sprintf("email: longer than %d bytes", maxEmailBytes)}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		return "", "", "", &badRequest{"email", fmt.Sprintf("email: %q is not a valid address (want name@domain)", email)}
	}
	if !validEmailDomain(email) {
		return "", "", "", &badRequest{"email", fmt.Sprintf("email: %q: the domain needs a dot, e.g. name@example.com", email)}
	}
	if name == "" {
		return "", "", "", &badRequest{"name", "name: must not be empty"}
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		return "", "", "", &badRequest{"name", fmt.Sprintf("name: longer than %d characters", maxNameRunes)}
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", "", "", &badRequest{"name", "name: must not contain control characters"}
	}
	if password == "" {
		return "", "", "", &badRequest{"password", "password: must not be empty"}
	}
	if strings.TrimSpace(password) == "" {
		return "", "", "", &badRequest{"password", "password: must not be only spaces or other whitespace"}
	}
	if len(password) > maxPasswordBytes {
		return "", "", "", &badRequest{"password", fmt.Sprintf("password: longer than %d bytes", maxPasswordBytes)}
	}
	return email, name, password, nil
}

func decodeError(err error) *badRequest {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &badRequest{"", fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
	case errors.As(err, &te):
		if te.Field == "" {
			return &badRequest{"", fmt.Sprintf(`invalid JSON: the body must be an object {"email","name","password"}, not %s`, te.Value)}
		}
		return &badRequest{te.Field, fmt.Sprintf("%s: must be a string, not %s", te.Field, te.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{"", "invalid JSON: the body ends early"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{f, fmt.Sprintf("%s: unknown field; allowed: email, name, password", f)}
	}
	return &badRequest{"", "invalid JSON: " + err.Error()}
}

// handleGetUser is GET /api/users/{id}: the user without any password data.
func (s *Service) handleGetUser(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		svc.WriteError(w, http.StatusBadRequest, "id", fmt.Sprintf("id: %q is not a user id (a positive integer, no sign or leading zeros)", raw))
		return
	}
	u, err := s.userByID(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		svc.WriteError(w, http.StatusNotFound, "id", fmt.Sprintf("user %d not found", id))
		return
	}
	if err != nil {
		s.log.Error("get user", "id", id, "err", err)
		svc.WriteError(w, http.StatusInternalServerError, "", "cannot read the users database")
		return
	}
	svc.WriteJSON(w, http.StatusOK, u)
}

// hash bcrypts the password. At most GOMAXPROCS hashes run at once and the
// rest queue in arrival order: the CPU-bound hash gets all cores either
// way, and queuing rather than time-slicing 32 hashes keeps tail latency
// near the mean. It returns ctx's error if the request ends while queued,
// and errQueueTimeout after Config.QueueTimeout in the queue.
func (s *Service) hash(ctx context.Context, password string) ([]byte, error) {
	queued := time.NewTimer(s.cfg.QueueTimeout)
	defer queued.Stop()
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-queued.C:
		return nil, errQueueTimeout
	}
	defer func() { <-s.hashSlots }()
	return bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
}

// repeatedField returns the field ("email", "name" or "password") that the
// sign-up object body names twice, compared as encoding/json matches names
// (case-insensitively), or "" when none is. body has already decoded into a
// SignUpRequest, so it is one object of known keys with string or null values.
func repeatedField(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		for _, f := range []string{"email", "name", "password"} {
			if strings.EqualFold(key, f) {
				if seen[f] {
					return f
				}
				seen[f] = true
			}
		}
		if _, err := dec.Token(); err != nil { // the value
			return ""
		}
	}
	return ""
}

// invalidUTF8Field returns the first of the sign-up fields whose value in
// the JSON body is not valid UTF-8 — raw bytes that are not UTF-8, or an
// escaped lone surrogate such as \udcff — which encoding/json would
// silently turn into U+FFFD. It returns "" when every field is valid or the
// body is not a JSON object.
func invalidUTF8Field(body []byte) string {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	for _, f := range []string{"email", "name", "password"} {
		for k, v := range raw {
			if !strings.EqualFold(k, f) {
				continue
			}
			if !utf8.Valid(v) {
				return f
			}
			var str string
			if json.Unmarshal(v, &str) == nil && strings.ContainsRune(str, utf8.RuneError) &&
				!strings.ContainsRune(string(v), utf8.RuneError) && !strings.Contains(strings.ToLower(string(v)), `\ufffd`) {
				return f // a replacement character that the sender did not write
			}
		}
	}
	return ""
}
