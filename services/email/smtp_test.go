package email

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/kctl/kctl/internal/platform/testnet"
)

// smtpServer is a minimal SMTP server: it answers rcptCode to RCPT TO and
// keeps each accepted message.
type smtpServer struct {
	ln       net.Listener
	rcptCode string
	mu       sync.Mutex
	msgs     []string
	rcpts    []string
}

func newSMTPServer(t *testing.T, rcptCode string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, rcptCode: rcptCode}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(line string) { c.Write([]byte(line + "\r\n")) }
	w("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			w("250 test")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			w("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpts = append(s.rcpts, strings.TrimSpace(line))
			s.mu.Unlock()
			w(s.rcptCode)
		case cmd == "DATA":
			w("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			w("250 queued")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("502 not implemented")
		}
	}
}

func TestSMTPSenderDeliversUTF8Subject(t *testing.T) {
	srv := newSMTPServer(t, "250 ok")
	s := &SMTPSender{Addr: srv.ln.Addr().String(), From: "kctl <no-reply@kctl.test>"}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	m := Message{EventID: "e-1", UserID: 1, To: "sender@test.com", Name: "김이름",
		Subject: "김이름님, 회원 가입을 축하드립니다!", Body: "김이름님, 안녕하세요.\n"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.msgs) != 1 || len(srv.rcpts) != 1 || !strings.Contains(srv.rcpts[0], "<sender@test.com>") {
		t.Fatalf("server got %d messages, rcpts %v", len(srv.msgs), srv.rcpts)
	}
	msg, err := mail.ReadMessage(strings.NewReader(srv.msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != m.Subject {
		t.Errorf("subject = %q (%v), want %q", subj, err, m.Subject)
	}
	if got := msg.Header.Get("Message-ID"); got != "<e-1@kctl.email>" {
		t.Errorf("Message-ID = %q", got)
	}
	body, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(readAll(msg), "\r\n", ""))
	if string(body) != m.Body {
		t.Errorf("body = %q, want %q", body, m.Body)
	}
}

func readAll(m *mail.Message) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := m.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestSMTPSenderClassifiesReplies(t *testing.T) {
	for _, tc := range []struct {
		code      string
		permanent bool
	}{
		{"550 no such user", true},
		{"451 try again later", false},
	} {
		srv := newSMTPServer(t, tc.code)
		s := &SMTPSender{Addr: srv.ln.Addr().String(), From: "no-reply@kctl.test"}
		err := s.Send(context.Background(), Message{EventID: "e", To: "x@test.com", Subject: "s", Body: "b"})
		if err == nil || IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), "RCPT TO") {
			t.Errorf("reply %q: err = %v, permanent %v; want permanent %v", tc.code, err, IsPermanent(err), tc.permanent)
		}
	}
	// Nothing listening: a retriable error.
	addr := testnet.RefusedAddr(t)
	err := (&SMTPSender{Addr: addr, From: "a@b.c"}).Send(context.Background(), Message{To: "x@test.com"})
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "dial") {
		t.Errorf("closed port: err = %v", err)
	}
	if err := (&SMTPSender{Addr: "nohost", From: "a@b.c"}).Check(); err == nil || !strings.Contains(err.Error(), "--smtp-addr") {
		t.Errorf("Check(bad addr) = %v", err)
	}
	var pe *PermanentError
	if !errors.As(Permanent(errors.New("x")), &pe) {
		t.Error("Permanent does not wrap a *PermanentError")
	}
}

func TestTemplate(t *testing.T) {
	tpl, err := ParseTemplate(DefaultSubject)
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Render("김이름", "a@b.c", 3); got != "김이름님, 회원 가입을 축하드립니다!" {
		t.Errorf("Render = %q", got)
	}
	tpl, _ = ParseTemplate("{userId}: {email} {")
	if got := tpl.Render("n", "a@b.c", 3); got != "3: a@b.c {" {
		t.Errorf("Render = %q", got)
	}
	if _, err := ParseTemplate("Hi {Name}"); err == nil || !strings.Contains(err.Error(), "{Name}") {
		t.Errorf("ParseTemplate({Name}) = %v", err)
	}
}
