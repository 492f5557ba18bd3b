package devcluster

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestScramStoredIterations: a user stored with 8192 iterations (kctl's
// default) logs in with SCRAM-SHA-256 and -512; kfake alone announces 4096
// and refuses the login.
func TestScramStoredIterations(t *testing.T) {
	c, err := Start(Options{SASLUser: "admin", SASLPassword: "admin-pw", ACLs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...),
		kgo.SASL(scram.Auth{User: "admin", Pass: "admin-pw"}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, u := range []kadm.UpsertSCRAM{
		{User: "svc", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "svc-pw"},
		{User: "svc", Mechanism: kadm.ScramSha512, Iterations: 16384, Password: "svc-pw"},
	} {
		res, err := kadm.NewClient(admin).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{u})
		if err == nil {
			err = res.Error()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, mech := range map[string]kgo.Opt{
		"SCRAM-SHA-256": kgo.SASL(scram.Auth{User: "svc", Pass: "svc-pw"}.AsSha256Mechanism()),
		"SCRAM-SHA-512": kgo.SASL(scram.Auth{User: "svc", Pass: "svc-pw"}.AsSha512Mechanism()),
	} {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), mech, kgo.RequestRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Ping(ctx); err != nil {
			t.Errorf("%s login of a user stored with its own iterations: %v", name, err)
		}
		cl.Close()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.RequestRetries(0),
		kgo.SASL(scram.Auth{User: "svc", Pass: "wrong"}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Ping(ctx); err == nil {
		t.Error("a wrong password logged in")
	}
}
