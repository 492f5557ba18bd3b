package devcluster

import (
	"context"
	"encoding/binary"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
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
