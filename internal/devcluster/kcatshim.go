package devcluster

import (
	"encoding/binary"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake advertises SaslHandshake only at version 1 (min 1, max 1), while
// librdkafka (kcat, confluent-kafka clients) enables SASL only when a
// broker advertises SaslHandshake v0 — as every Apache Kafka broker does
// (0..1) — and then uses v1. Without help, kcat fails against the
// embedded cluster with "SASL Handshake not supported by broker".
//
// saslShimListener wraps a plaintext listener: in each connection's
// ApiVersions responses it widens SaslHandshake to min version 0, which is
// what a real broker says. Clients pick the highest common version (1), so
// kfake never sees a v0 handshake. Nothing else on the wire is touched:
// it tracks only the first few request headers of a connection and stops
// at the SASL handshake. (With TLS kfake wraps the listener itself, so the
// shim cannot see the bytes: kcat over SASL_SSL stays unsupported.)
type saslShimListener struct{ net.Listener }

func (l saslShimListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &saslShimConn{Conn: c, pending: map[int32]int16{}}, nil
}

// shimMaxTracked bounds the request frames a connection's shim parses.
const shimMaxTracked = 8

type saslShimConn struct {
	net.Conn
	mu      sync.Mutex
	buf     []byte
	tracked int             // frames parsed; shimMaxTracked stops tracking
	pending map[int32]int16 // ApiVersions correlation ID → request version
}

func (c *saslShimConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.track(p[:n])
	}
	return n, err
}

// track parses request headers (size, key, version, correlation ID) from
// the bytes the broker reads, remembering ApiVersions requests, until the
// SASL handshake or shimMaxTracked frames.
func (c *saslShimConn) track(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tracked >= shimMaxTracked {
		return
	}
	c.buf = append(c.buf, b...)
	for c.tracked < shimMaxTracked && len(c.buf) >= 4 {
		size := int(binary.BigEndian.Uint32(c.buf))
		if size < 8 || size > 64<<10 { // not a pre-authentication request: stop
			c.stop()
			return
		}
		if len(c.buf) < 4+size {
			return
		}
		key := int16(binary.BigEndian.Uint16(c.buf[4:]))
		version := int16(binary.BigEndian.Uint16(c.buf[6:]))
		corr := int32(binary.BigEndian.Uint32(c.buf[8:]))
		c.buf = c.buf[4+size:]
		c.tracked++
		switch key {
		case 18: // ApiVersions
			c.pending[corr] = version
		case 17: // SaslHandshake: ApiVersions is behind us
			c.stop()
			return
		}
	}
}

func (c *saslShimConn) stop() {
	c.tracked = shimMaxTracked
	c.buf = nil
}

func (c *saslShimConn) Write(b []byte) (int, error) {
	if len(b) >= 8 {
		corr := int32(binary.BigEndian.Uint32(b[4:8]))
		c.mu.Lock()
		version, ok := c.pending[corr]
		delete(c.pending, corr)
		c.mu.Unlock()
		if ok {
			if patched := widenSaslHandshake(b, version); patched != nil {
				if _, err := c.Conn.Write(patched); err != nil {
					return 0, err
				}
				return len(b), nil
			}
		}
	}
	return c.Conn.Write(b)
}

// widenSaslHandshake returns the ApiVersions response frame with
// SaslHandshake's min version 0, or nil when frame does not parse or needs
// no change.
func widenSaslHandshake(frame []byte, version int16) []byte {
	resp := kmsg.ApiVersionsResponse{Version: version}
	if err := resp.ReadFrom(frame[8:]); err != nil {
		return nil
	}
	changed := false
	for i := range resp.ApiKeys {
		if resp.ApiKeys[i].ApiKey == 17 && resp.ApiKeys[i].MinVersion > 0 {
			resp.ApiKeys[i].MinVersion = 0
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out := append([]byte{}, frame[:8]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}
