package provision_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The flow `kctl apply --yes` (and `kctl smoke`) runs: load and check the
// file, observe the cluster, diff, pass the plan through the gate (the
// operator's allowances and the rebalance markers), and apply what it allows.
// Here the cluster is an in-process kfake one and the file a temporary
// topics.yaml; against a real cluster only the seed brokers and the paths
// change.
func Example() {
	kc, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		panic(err)
	}
	defer kc.Close()
	dir, err := os.MkdirTemp("", "kctl-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "topics.yaml")
	if err := os.WriteFile(path, []byte(`topics:
  - name: orders
    partitions: 6
    replicationFactor: 3
    config:
      retention.ms: 7d
  - name: orders.dlt
    partitions: 1
    replicationFactor: 3
`), 0o600); err != nil {
		panic(err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx := context.Background()

	file, diags, err := topology.Load(path)
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
	decision := provision.Gate(plan, provision.Allowances{}, &provision.Markers{Dir: filepath.Join(dir, "rebalance")})
	if err := decision.Err(); err != nil {
		panic(err) // *provision.GateError: each refusal with the flag that allows it
	}
	for _, c := range plan.Changes {
		fmt.Println(c.Action, c.Topic)
	}
	res, err := provision.Apply(ctx, cl, decision, provision.ApplyOptions{})
	var failed *provision.ApplyError
	if errors.As(err, &failed) {
		fmt.Println(len(failed.Failed), "changes failed")
	} else if err != nil {
		panic(err)
	}
	fmt.Println(res.Count(provision.Create), "created")

	// A second run finds nothing to do.
	state, err = provision.Observe(ctx, cl, file)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(provision.Diff(file, state, provision.Options{}).Changes), "changes on the second run")
	// Output:
	// create orders
	// create orders.dlt
	// 2 created
	// 0 changes on the second run
}
