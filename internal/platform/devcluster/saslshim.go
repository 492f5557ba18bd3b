package devcluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The SASL shim sits between each client connection and kfake and makes the
// embedded cluster's login behave like an Apache Kafka broker's for every
// maintained client. It fixes four differences:
//
//  1. kfake advertises SaslHandshake only at version 1, while librdkafka
//     (kcat, confluent-kafka clients) enables SASL only when a broker
//     advertises v0 — as every Apache Kafka broker does (0..1). The shim
//     widens SaslHandshake to min version 0 in ApiVersions responses;
//     librdkafka then picks v1.
//  2. kafka-python 2.0.2 always sends SaslHandshake v0 and then the raw
//     SASL tokens (a 4-byte length and the bytes, no Kafka header), which
//     kfake does not speak (it closes the connection). The shim turns the
//     v0 handshake into v1 and wraps each raw token into a SaslAuthenticate
//     v0 request, unwrapping kfake's answer back into a raw token; a
//     failed login closes the connection, as Kafka does in that mode.
//  3. kfake's SaslHandshake response lists the enabled mechanisms only
//     on error; Kafka always lists them and kafka-python refuses to log in
//     when its mechanism is not in the list. The shim lists them.
//  4. kfake's SCRAM login always announces 4096 iterations, whatever the
//     credential was stored with; the shim announces the stored count, as
//     Kafka does (scram.go).
//
// The shim parses only the frames before authentication completes (at most
// shimMaxTracked) and then passes bytes through untouched.
type saslShimListener struct {
	net.Listener
	scram *scramStore // the credentials kfake stores
}

func (l saslShimListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newSaslShimConn(c, l.scram), nil
}

// shimMaxTracked bounds the request frames a connection's shim parses.
const shimMaxTracked = 8

// shimMaxFrame bounds a pre-authentication frame; larger is not a login.
const shimMaxFrame = 64 << 10

// shimCorrBase starts the correlation IDs of the SaslAuthenticate requests
// the shim makes from raw tokens (the client never sees them).
const shimCorrBase = 0x5a5a0000

type pendingKind uint8

const (
	pendApiVersions pendingKind = iota + 1 // widen SaslHandshake
	pendHandshake                          // list the enabled mechanisms
	pendAuth                               // SaslAuthenticate: translate the SCRAM token
	pendRawToken                           // unwrap into a raw token (and translate)
)

type pending struct {
	kind    pendingKind
	version int16
	token   int // the exchange's token number
}

type saslShimConn struct {
	net.Conn
	r     *bufio.Reader
	store *scramStore
	scram *scramExchange // the SCRAM exchange under way, if any

	mu      sync.Mutex // Read and Write run on different goroutines
	out     []byte     // translated bytes not yet read by kfake
	done    bool       // authentication is behind us: pass through
	tracked int
	pending map[int32]pending

	mech      string // mechanism of the handshake
	raw       bool   // after a v0 handshake: raw tokens follow
	tokens    int    // SASL tokens (raw or SaslAuthenticate) seen
	tokensMax int    // tokens of mech's exchange: PLAIN 1, SCRAM 2
	nextCorr  int32
}

func newSaslShimConn(c net.Conn, store *scramStore) *saslShimConn {
	return &saslShimConn{Conn: c, r: bufio.NewReader(c), store: store, pending: map[int32]pending{}, nextCorr: shimCorrBase}
}

func (c *saslShimConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.out) > 0 {
		n := copy(p, c.out)
		c.out = c.out[n:]
		c.mu.Unlock()
		return n, nil
	}
	done := c.done
	c.mu.Unlock()
	if done {
		return c.r.Read(p)
	}
	frame, through, err := c.readFrame()
	if len(frame) > 0 {
		c.mu.Lock()
		c.out = frame
		if !through {
			c.out = c.translate(frame)
		}
		n := copy(p, c.out)
		c.out = c.out[n:]
		c.mu.Unlock()
		return n, nil
	}
	return 0, err
}

// readFrame reads one size-prefixed frame. A size no login frame has stops
// the shim: the 4 bytes are returned (through) and the rest passes through.
func (c *saslShimConn) readFrame() (frame []byte, through bool, err error) {
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return nil, false, err
	}
	n := int(int32(binary.BigEndian.Uint32(size[:])))
	if n < 0 || n > shimMaxFrame {
		c.mu.Lock()
		c.stop()
		c.mu.Unlock()
		return size[:], true, nil
	}
	frame = make([]byte, 4+n)
	copy(frame, size[:])
	if _, err := io.ReadFull(c.r, frame[4:]); err != nil {
		return nil, false, err
	}
	return frame, false, nil
}

func (c *saslShimConn) stop() { c.done = true }

// translate looks at one request frame (c.mu held) and returns the bytes
// kfake reads instead.
func (c *saslShimConn) translate(frame []byte) []byte {
	if c.raw {
		return c.wrapRawToken(frame[4:])
	}
	if len(frame) < 12 {
		c.stop()
		return frame
	}
	c.tracked++
	if c.tracked >= shimMaxTracked && c.mech == "" { // no login begun: not one
		c.stop()
	}
	key := int16(binary.BigEndian.Uint16(frame[4:]))
	version := int16(binary.BigEndian.Uint16(frame[6:]))
	corr := int32(binary.BigEndian.Uint32(frame[8:]))
	switch key {
	case 18: // ApiVersions
		c.pending[corr] = pending{kind: pendApiVersions, version: version}
	case 17: // SaslHandshake
		req := &kmsg.SASLHandshakeRequest{Version: version}
		if _, ok := parseRequest(frame, req); !ok {
			c.stop()
			return frame
		}
		c.mech = req.Mechanism
		switch c.mech {
		case "PLAIN":
			c.tokensMax = 1
		case "SCRAM-SHA-256", "SCRAM-SHA-512":
			c.tokensMax = 2
			if c.store != nil {
				c.scram = newScramExchange(c.store, c.mech)
			}
		default: // kfake refuses it
			c.stop()
			return frame
		}
		c.pending[corr] = pending{kind: pendHandshake, version: version}
		if version == 0 {
			// v0 and v1 requests and responses are the same bytes;
			// v0 means raw tokens follow.
			c.raw = true
			out := append([]byte(nil), frame...)
			binary.BigEndian.PutUint16(out[6:], 1)
			return out
		}
	case 36: // SaslAuthenticate
		req := &kmsg.SASLAuthenticateRequest{Version: version}
		body, ok := parseRequest(frame, req)
		if !ok {
			c.stop()
			return frame
		}
		n := c.tokens
		c.tokens++
		if c.tokens >= c.tokensMax {
			c.stop()
		}
		if c.scram == nil {
			return frame
		}
		c.pending[corr] = pending{kind: pendAuth, version: version, token: n}
		tok := c.scram.client(n, req.SASLAuthBytes)
		if string(tok) == string(req.SASLAuthBytes) {
			return frame
		}
		req.SASLAuthBytes = tok
		out := append([]byte(nil), frame[:body]...)
		out = req.AppendTo(out)
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		return out
	default: // an ordinary request: no login (or one we do not follow)
		c.stop()
	}
	return frame
}

// wrapRawToken makes a SaslAuthenticate v0 request of a raw token.
func (c *saslShimConn) wrapRawToken(token []byte) []byte {
	corr := c.nextCorr
	c.nextCorr++
	n := c.tokens
	c.pending[corr] = pending{kind: pendRawToken, token: n}
	if c.scram != nil {
		token = c.scram.client(n, token)
	}
	c.tokens++
	if c.tokens >= c.tokensMax {
		c.raw = false
		c.stop()
	}
	req := kmsg.SASLAuthenticateRequest{Version: 0, SASLAuthBytes: token}
	out := make([]byte, 4, 14+len(token)+4)
	out = binary.BigEndian.AppendUint16(out, 36)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint32(out, uint32(corr))
	out = binary.BigEndian.AppendUint16(out, 0xffff) // null client ID
	out = req.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// parseRequest parses frame's body (after size, key, version, correlation
// ID, client ID and header tags) into req, returning where the body starts.
func parseRequest(frame []byte, req kmsg.Request) (int, bool) {
	b := frame[12:]
	if len(b) < 2 {
		return 0, false
	}
	if l := int(int16(binary.BigEndian.Uint16(b))); l > 0 {
		if len(b) < 2+l {
			return 0, false
		}
		b = b[2+l:]
	} else {
		b = b[2:]
	}
	if req.IsFlexible() {
		if len(b) < 1 || b[0] != 0 { // clients send no header tags
			return 0, false
		}
		b = b[1:]
	}
	if err := req.ReadFrom(b); err != nil {
		return 0, false
	}
	return len(frame) - len(b), true
}

// errLoginFailed closes a raw-token connection whose login failed, as
// Kafka does (the client has no frame to read an error from).
var errLoginFailed = errors.New("sasl login failed")

func (c *saslShimConn) Write(b []byte) (int, error) {
	if len(b) < 8 {
		return c.Conn.Write(b)
	}
	corr := int32(binary.BigEndian.Uint32(b[4:8]))
	c.mu.Lock()
	p, ok := c.pending[corr]
	delete(c.pending, corr)
	c.mu.Unlock()
	if !ok {
		return c.Conn.Write(b)
	}
	var out []byte
	switch p.kind {
	case pendApiVersions:
		out = widenSaslHandshake(b, p.version)
	case pendHandshake:
		out = listMechanisms(b)
	case pendAuth:
		out = c.translateAuthResponse(b, p)
	case pendRawToken:
		resp := kmsg.SASLAuthenticateResponse{Version: 0}
		if err := resp.ReadFrom(b[8:]); err != nil || resp.ErrorCode != 0 {
			c.Conn.Close()
			return 0, errLoginFailed
		}
		auth := resp.SASLAuthBytes
		if c.scram != nil {
			auth = c.serverToken(p.token, auth)
		}
		out = binary.BigEndian.AppendUint32(nil, uint32(len(auth)))
		out = append(out, auth...)
	}
	if out == nil {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// serverToken translates kfake's SCRAM token n (c.mu guards the exchange).
func (c *saslShimConn) serverToken(n int, tok []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scram.server(n, tok)
}

// translateAuthResponse returns the SaslAuthenticate response frame with
// its SCRAM token translated, or nil when nothing changes.
func (c *saslShimConn) translateAuthResponse(frame []byte, p pending) []byte {
	resp := kmsg.SASLAuthenticateResponse{Version: p.version}
	hdr := 8
	if resp.IsFlexible() {
		hdr++ // kfake writes an empty header tag section
	}
	if len(frame) < hdr || resp.ReadFrom(frame[hdr:]) != nil || resp.ErrorCode != 0 {
		return nil
	}
	tok := c.serverToken(p.token, resp.SASLAuthBytes)
	if string(tok) == string(resp.SASLAuthBytes) {
		return nil
	}
	resp.SASLAuthBytes = tok
	out := append([]byte{}, frame[:hdr]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}

// saslMechanisms are the mechanisms kfake takes (EnableSASL with
// Superuser for each).
var saslMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// listMechanisms returns the successful SaslHandshake response frame with
// the enabled mechanisms listed, as Kafka lists them (kfake lists them only
// on error; kafka-python requires its mechanism in the list), or nil.
func listMechanisms(frame []byte) []byte {
	resp := kmsg.SASLHandshakeResponse{Version: 1} // v0 has the same bytes
	if resp.ReadFrom(frame[8:]) != nil || resp.ErrorCode != 0 || len(resp.SupportedMechanisms) > 0 {
		return nil
	}
	resp.SupportedMechanisms = saslMechanisms
	out := append([]byte{}, frame[:8]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
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
