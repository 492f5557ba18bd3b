package devcluster

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func apiVersionsFrame(t *testing.T, version int16, keys ...kmsg.ApiVersionsResponseApiKey) []byte {
	t.Helper()
	resp := kmsg.ApiVersionsResponse{Version: version, ApiKeys: keys}
	frame := append(make([]byte, 8), resp.AppendTo(nil)...)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	binary.BigEndian.PutUint32(frame[4:], 7)
	return frame
}

// TestWidenSaslHandshake: SaslHandshake's min version becomes 0 and
// nothing else changes; a response without it is left alone.
func TestWidenSaslHandshake(t *testing.T) {
	for _, v := range []int16{0, 3} {
		frame := apiVersionsFrame(t, v,
			kmsg.ApiVersionsResponseApiKey{ApiKey: 17, MinVersion: 1, MaxVersion: 1},
			kmsg.ApiVersionsResponseApiKey{ApiKey: 36, MinVersion: 0, MaxVersion: 2})
		out := widenSaslHandshake(frame, v)
		if out == nil {
			t.Fatalf("v%d: not patched", v)
		}
		if binary.BigEndian.Uint32(out[4:]) != 7 || int(binary.BigEndian.Uint32(out)) != len(out)-4 {
			t.Errorf("v%d: header %x", v, out[:8])
		}
		got := kmsg.ApiVersionsResponse{Version: v}
		if err := got.ReadFrom(out[8:]); err != nil {
			t.Fatal(err)
		}
		if k := got.ApiKeys[0]; k.ApiKey != 17 || k.MinVersion != 0 || k.MaxVersion != 1 {
			t.Errorf("v%d: SaslHandshake %+v", v, k)
		}
		if k := got.ApiKeys[1]; k.ApiKey != 36 || k.MinVersion != 0 || k.MaxVersion != 2 {
			t.Errorf("v%d: SaslAuthenticate changed: %+v", v, k)
		}
	}
	if out := widenSaslHandshake(apiVersionsFrame(t, 3, kmsg.ApiVersionsResponseApiKey{ApiKey: 0, MaxVersion: 9}), 3); out != nil {
		t.Error("a response without SaslHandshake was rewritten")
	}
	if out := widenSaslHandshake([]byte{0, 0, 0, 4, 0, 0, 0, 7, 1}, 3); out != nil {
		t.Error("garbage was rewritten")
	}
}

// TestKcatSASL: kcat (librdkafka) logs in with SCRAM to the embedded
// cluster and lists its brokers; skipped without kcat.
func TestKcatSASL(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed")
	}
	c, err := Start(Options{SASLUser: "admin", SASLPassword: "admin-pw", ACLs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"} {
		out, err := exec.CommandContext(ctx, kcat, "-b", c.Brokers()[0], "-X", "security.protocol=SASL_PLAINTEXT",
			"-X", "sasl.mechanisms="+mech, "-X", "sasl.username=admin", "-X", "sasl.password=admin-pw", "-L", "-m", "10").CombinedOutput()
		if err != nil || !strings.Contains(string(out), " 3 brokers:") {
			t.Errorf("kcat %s: %v\n%s", mech, err, out)
		}
	}
	out, err := exec.CommandContext(ctx, kcat, "-b", c.Brokers()[0], "-X", "security.protocol=SASL_PLAINTEXT",
		"-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=admin", "-X", "sasl.password=wrong", "-L", "-m", "3").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SASL authentication error") {
		t.Errorf("kcat with a wrong password: %v\n%s", err, out)
	}
}

// rawConn speaks the SASL of kafka-python 2.0.2: SaslHandshake v0, then
// raw tokens (4-byte length and the bytes, no Kafka header).
type rawConn struct {
	t *testing.T
	net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t, c}
}

func (c *rawConn) writeFrame(b []byte) {
	c.t.Helper()
	if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)); err != nil {
		c.t.Fatal(err)
	}
}

// readFrame returns the next frame's bytes, or an error (EOF when closed).
func (c *rawConn) readFrame() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(c, b)
	return b, err
}

// request sends a Kafka request and returns the response body.
func (c *rawConn) request(corr int32, req kmsg.Request) []byte {
	c.t.Helper()
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	c.writeFrame(req.AppendTo(b))
	resp, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("%T: %v", req, err)
	}
	if got := int32(binary.BigEndian.Uint32(resp)); got != corr {
		c.t.Fatalf("%T: correlation ID %d, want %d", req, got, corr)
	}
	return resp[4:]
}

func (c *rawConn) handshakeV0(mech string) {
	c.t.Helper()
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version, req.Mechanism = 0, mech
	resp := kmsg.SASLHandshakeResponse{Version: 0}
	if err := resp.ReadFrom(c.request(1, req)); err != nil || resp.ErrorCode != 0 {
		c.t.Fatalf("SaslHandshake v0 %s: %v, error code %d", mech, err, resp.ErrorCode)
	}
	if !slices.Contains(resp.SupportedMechanisms, mech) {
		c.t.Fatalf("SaslHandshake v0 lists %v, not %s (kafka-python refuses to log in)", resp.SupportedMechanisms, mech)
	}
}

// authenticated: an ApiVersions request is answered.
func (c *rawConn) authenticated() {
	c.t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	resp := kmsg.ApiVersionsResponse{}
	if err := resp.ReadFrom(c.request(2, req)); err != nil || resp.ErrorCode != 0 || len(resp.ApiKeys) == 0 {
		c.t.Fatalf("ApiVersions after the login: %v, %+v", err, resp.ErrorCode)
	}
}

// TestSASLHandshakeV0: kafka-python's login (v0 handshake, raw tokens)
// works with PLAIN and with SCRAM for a user stored with 8192 iterations;
// a wrong password closes the connection, as Kafka does.
func TestSASLHandshakeV0(t *testing.T) {
	c, err := Start(Options{SASLUser: "admin", SASLPassword: "admin-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.Brokers()[1]

	rc := dialRaw(t, addr)
	rc.handshakeV0("PLAIN")
	rc.writeFrame([]byte("admin\x00admin\x00admin-pw"))
	if ok, err := rc.readFrame(); err != nil || len(ok) != 0 {
		t.Fatalf("PLAIN: %q, %v; want an empty token", ok, err)
	}
	rc.authenticated()

	rc = dialRaw(t, addr)
	rc.handshakeV0("PLAIN")
	rc.writeFrame([]byte("admin\x00admin\x00wrong"))
	if b, err := rc.readFrame(); err == nil {
		t.Fatalf("PLAIN with a wrong password: got %q, want the connection closed", b)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.SASL(plain.Auth{User: "admin", Pass: "admin-pw"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	res, err := kadm.NewClient(admin).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "svc", Mechanism: kadm.ScramSha512, Iterations: 8192, Password: "svc-pw"}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"svc-pw", "wrong"} {
		rc = dialRaw(t, addr)
		rc.handshakeV0("SCRAM-SHA-512")
		sess, first, err := scram.Auth{User: "svc", Pass: pw}.AsSha512Mechanism().Authenticate(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		rc.writeFrame(first)
		serverFirst, err := rc.readFrame()
		if err != nil {
			t.Fatalf("%s: server-first: %v", pw, err)
		}
		if !strings.HasSuffix(string(serverFirst), ",i=8192") {
			t.Errorf("%s: server-first %q does not announce the stored 8192 iterations", pw, serverFirst)
		}
		_, final, err := sess.Challenge(serverFirst)
		if err != nil {
			t.Fatal(err)
		}
		rc.writeFrame(final)
		serverFinal, err := rc.readFrame()
		if pw == "wrong" {
			if err == nil {
				t.Fatalf("SCRAM with a wrong password: got %q, want the connection closed", serverFinal)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SCRAM: server-final: %v", err)
		}
		if done, _, err := sess.Challenge(serverFinal); err != nil || !done {
			t.Fatalf("SCRAM: the server's signature does not verify: %v", err)
		}
		rc.authenticated()
	}
}
