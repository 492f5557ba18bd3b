package users

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The users service's producer names itself, also over kctl's options
// (kctl serve users passes them, client ID "kctl" included).
func TestClientID(t *testing.T) {
	cfg := testConfig(t, newCluster(t))
	cfg.KafkaOpts = []kgo.Opt{kgo.ClientID("kctl")}
	r := start(t, cfg)
	if got := r.s.cl.OptValue(kgo.ClientID); got != "kctl-users" {
		t.Errorf("client ID %v, want kctl-users", got)
	}
}
