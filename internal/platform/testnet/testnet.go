// Package testnet gives tests addresses that misbehave. Refused: a port that
// refuses connections without the "find a free port, close it, reuse it"
// race: a TCP socket bound to a loopback port and never listening refuses
// every connection, and as long as it stays open no other socket can take
// its port (it does not set SO_REUSEADDR). Silent: a port that accepts
// connections and never answers, as a hung broker.
package testnet

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// Refused is a bound, never-listening loopback TCP socket.
type Refused struct {
	fd   int
	Port int
}

// Addr is "127.0.0.1:port".
func (r *Refused) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// Close releases the port.
func (r *Refused) Close() error { return syscall.Close(r.fd) }

// NewRefused binds a TCP socket to 127.0.0.1 on a port the kernel picks,
// without listening. It returns the system's error when it cannot.
func NewRefused() (*Refused, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind 127.0.0.1:0: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	return &Refused{fd: fd, Port: sa.(*syscall.SockaddrInet4).Port}, nil
}

// RefusedAddr returns "127.0.0.1:port" of a Refused socket kept until t
// ends: connecting to it is refused at once.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	r, err := NewRefused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.Addr()
}

// Silent is a loopback TCP listener that accepts every connection, reads
// and discards what the client sends, and never answers: a broker that hangs.
type Silent struct {
	ln   net.Listener
	mu   sync.Mutex
	conn []net.Conn
	done chan struct{}
}

// NewSilent listens on 127.0.0.1 on a port the kernel picks.
func NewSilent() (*Silent, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen 127.0.0.1:0: %w", err)
	}
	s := &Silent{ln: ln, done: make(chan struct{})}
	go s.accept()
	return s, nil
}

func (s *Silent) accept() {
	defer close(s.done)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		s.conn = append(s.conn, c)
		s.mu.Unlock()
		go io.Copy(io.Discard, c) //nolint:errcheck // ends when either side closes
	}
}

// Addr is "127.0.0.1:port".
func (s *Silent) Addr() string { return s.ln.Addr().String() }

// Close stops listening and closes every accepted connection.
func (s *Silent) Close() error {
	err := s.ln.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conn {
		c.Close()
	}
	return err
}

// SilentAddr returns "127.0.0.1:port" of a Silent listener kept until t
// ends: connections succeed, requests are never answered.
func SilentAddr(t testing.TB) string {
	t.Helper()
	s, err := NewSilent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}
