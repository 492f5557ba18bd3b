// Package devclustertest starts in-process 3-broker kfake clusters for tests.
package devclustertest

import (
	"context"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// New starts a 3-broker cluster on free loopback ports, closed by t.Cleanup.
// Extra kfake options (faults, SASL, TLS, seed topics) may be passed.
func New(t testing.TB, extra ...kfake.Opt) *devcluster.Cluster {
	t.Helper()
	c, err := devcluster.Start(devcluster.Options{ClusterID: "kfake", Extra: extra})
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Client returns a kgo client for c, closed by t.Cleanup.
func Client(t testing.TB, c *devcluster.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Admin returns a kadm client for c, closed by t.Cleanup.
func Admin(t testing.TB, c *devcluster.Cluster) *kadm.Client {
	t.Helper()
	return kadm.NewClient(Client(t, c))
}

// CreateTopic creates a topic with partitions and RF 3, failing the test on error.
func CreateTopic(t testing.TB, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 3, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}
