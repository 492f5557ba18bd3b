package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/kctl/kctl/services/email"
)

func (r *run) services(ctx context.Context) (string, error) {
	if r.o.StartServices == nil {
		return "", errors.New("no services to test: give --users-url and --email-url, or let smoke start them")
	}
	svc, err := r.o.StartServices(ctx)
	if err != nil {
		return "", fmt.Errorf("start services: %w", err)
	}
	r.svc = svc
	for _, u := range []string{svc.UsersURL, svc.EmailURL} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if err := r.waitOK(ctx, u+path); err != nil {
				return "", err
			}
		}
	}
	return fmt.Sprintf("users %s, email %s", svc.UsersURL, svc.EmailURL), nil
}

// waitOK polls url until it answers 200, bounded by ctx.
func (r *run) waitOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	err = backoff.Retry(ctx, poll, nil, func() error {
		resp, err := r.o.HTTP.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("expected 200 from GET %s, last saw: %v", url, err)
	}
	return nil
}

// signupsInFlight bounds concurrent sign-ups. Smoke measures the path's
// latency, not peak throughput (the services' benchmarks do that): on a
// 2-core machine 16 in flight took no less time than 4 and only queued,
// doubling the p99.
const signupsInFlight = 4

func (r *run) signUp(ctx context.Context) (string, error) {
	r.signups = make([]*signup, r.o.Count)
	for i := range r.signups {
		r.signups[i] = &signup{
			email:    fmt.Sprintf("smoke-%s-%d@kctl.test", r.runID, i),
			name:     fmt.Sprintf("Smoke %s %d", r.runID, i),
			password: "pw-" + randHex(8),
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, signupsInFlight)
	)
	for _, s := range r.signups {
		wg.Add(1)
		sem <- struct{}{}
		go func(s *signup) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.post(ctx, s); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(s)
	}
	wg.Wait()
	for _, s := range r.signups {
		if s.id != 0 {
			r.rep.SignedUp++
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return fmt.Sprintf("%d users created", len(r.signups)), nil
}

func (r *run) post(ctx context.Context, s *signup) error {
	body, _ := json.Marshal(map[string]string{"email": s.email, "name": s.name, "password": s.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.svc.UsersURL+"/api/users", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST /api/users: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("POST /api/users for %s: %w", s.email, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s.accepted = time.Now()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/users for %s: expected 201, saw %d %s", s.email, resp.StatusCode, strings.TrimSpace(string(rb)))
	}
	var out struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(rb, &out); err != nil || out.ID == 0 || out.Email != s.email {
		return fmt.Errorf("POST /api/users for %s: expected {\"id\",\"email\",\"name\"}, saw %s", s.email, rb)
	}
	if bytes.Contains(rb, []byte(s.password)) || bytes.Contains(bytes.ToLower(rb), []byte("password")) {
		return fmt.Errorf("POST /api/users for %s: the response carries password data: %s", s.email, rb)
	}
	s.id = out.ID
	return nil
}

func (r *run) emails(ctx context.Context) (string, error) {
	pending := map[int64]*signup{}
	for _, s := range r.signups {
		pending[s.id] = s
	}
	var lat, pub, del []time.Duration
	dups := 0
	lost := func() (string, error) {
		r.rep.Lost = len(pending)
		r.rep.Duplicated = dups
		r.rep.Latency = Summarize(lat)
		r.rep.Publish, r.rep.Deliver = Summarize(pub), Summarize(del)
		return "", fmt.Errorf("expected an email log for each of %d sign-ups, %d missing (lost) after %s%s", len(r.signups), len(pending), r.o.Timeout, r.groupHint(ctx))
	}
	for len(pending) > 0 {
		for id, s := range pending {
			logs, err := r.emailLogs(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return lost()
				}
				return "", err
			}
			var sent []email.LogEntry
			for _, l := range logs {
				if l.Email != s.email {
					continue // another service's user with the same id
				}
				switch l.Status {
				case email.StatusSent:
					sent = append(sent, l)
				case email.StatusFailed:
					return "", fmt.Errorf("expected the welcome email to user %d to be sent, saw it failed: %s", id, l.Error)
				}
			}
			if len(sent) == 0 {
				continue
			}
			dups += len(sent) - 1
			delete(pending, id)
			if at := sent[0].SentAt; at != nil {
				lat = append(lat, nonNeg(at.Sub(s.accepted)))
				if !s.published.IsZero() {
					pub = append(pub, nonNeg(s.published.Sub(s.accepted)))
					del = append(del, nonNeg(at.Sub(s.published)))
				}
			}
		}
		if len(pending) == 0 {
			break
		}
		if !backoff.Sleep(ctx, pollEmails) {
			return lost()
		}
	}
	r.rep.Duplicated = dups
	r.rep.Latency = Summarize(lat)
	r.rep.Publish, r.rep.Deliver = Summarize(pub), Summarize(del)
	if dups > 0 {
		return "", fmt.Errorf("expected one email log per sign-up, saw %d duplicates", dups)
	}
	return fmt.Sprintf("%d emails logged, 0 lost, 0 duplicated", len(r.signups)), nil
}

func nonNeg(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// groupHint names a likely cause of lost emails when smoke started its own
// email service: other members in its group take some of the partitions,
// so the events reach an email service smoke does not read.
func (r *run) groupHint(ctx context.Context) string {
	if r.svc.Stop == nil {
		return ""
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	groups, err := r.o.Admin.DescribeGroups(dctx, r.o.Group)
	if err != nil {
		return ""
	}
	if g, ok := groups[r.o.Group]; ok && len(g.Members) > 1 {
		return fmt.Sprintf(" — group %s has %d members: another email service shares it; test the deployed services with --users-url/--email-url", r.o.Group, len(g.Members))
	}
	return ""
}

// emailLogs asks the email service for a user's email log: GET
// /api/email-logs answers a JSON list of email.LogEntry.
func (r *run) emailLogs(ctx context.Context, userID int64) ([]email.LogEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/email-logs?userId=%d", r.svc.EmailURL, userID), nil)
	if err != nil {
		return nil, fmt.Errorf("GET /api/email-logs: %w", err)
	}
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: %w", userID, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: expected 200, saw %d %s", userID, resp.StatusCode, b)
	}
	var logs []email.LogEntry
	if err := json.Unmarshal(b, &logs); err != nil {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: expected a JSON list, saw %s: %w", userID, b, err)
	}
	return logs, nil
}
