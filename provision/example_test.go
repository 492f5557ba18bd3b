package provision_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The flow `kctl apply --yes` (and `kctl smoke`) runs: load and check the
// file, observe the cluster, diff, pass the plan through the gate (the
// operator's allowances and the rebalance markers), and apply what it allows.
func Example() {
	cl, err := kgo.NewClient(kgo.SeedBrokers("localhost:9092"))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx := context.Background()

	file, diags, err := topology.Load("topics.yaml")
	if err != nil {
		panic(err) // unreadable file
	}
	if err := diags.Err(); err != nil {
		panic(err) // *topology.InvalidError: every error with file:line:col
	}
	state, err := provision.Observe(ctx, cl, file)
	if err != nil {
		panic(err)
	}
	plan := provision.Diff(file, state, provision.Options{})
	decision := provision.Gate(plan, provision.Allowances{}, &provision.Markers{Dir: "/var/lib/kctl/rebalance"})
	if err := decision.Err(); err != nil {
		panic(err) // *provision.GateError: each refusal with the flag that allows it
	}
	res, err := provision.Apply(ctx, cl, decision, provision.ApplyOptions{})
	var failed *provision.ApplyError
	if errors.As(err, &failed) {
		fmt.Println(len(failed.Failed), "changes failed")
	}
	fmt.Println(res.Count(provision.Create), "created")
}
