package email

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The email service's clients (producer and group member) name themselves,
// also over kctl's options (kctl serve email passes client ID "kctl"):
// kctl groups describe shows its members as kctl-email.
func TestClientID(t *testing.T) {
	cl, err := kgo.NewClient(baseOpts(Config{Brokers: []string{"127.0.0.1:1"}, KafkaOpts: []kgo.Opt{kgo.ClientID("kctl")}})...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if got := cl.OptValue(kgo.ClientID); got != "kctl-email" {
		t.Errorf("client ID %v, want kctl-email", got)
	}
}
