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
// file, observe the cluster, diff, and apply a plan that refuses nothing.
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
	if plan.IsRefused() {
		panic("refused: see plan.Changes[i].Reasons")
	}
	res, err := provision.Apply(ctx, cl, plan, provision.ApplyOptions{})
	var failed *provision.ApplyError
	if errors.As(err, &failed) {
		fmt.Println(len(failed.Failed), "changes failed")
	}
	fmt.Println(res.Count(provision.Create), "created")
}
