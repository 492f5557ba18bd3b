package inspect

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/errs"

	"fmt"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newCluster(t *testing.T, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

// sticky is the requestor kctl describe uses: one connection to a seed.
func sticky(t testing.TB, c *devcluster.Cluster) *kafka.Sticky {
	return kafka.NewSticky(devclustertest.Client(t, c), kafka.Settings{Brokers: c.Brokers(), Timeout: 10 * time.Second})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func text(t *testing.T, v view.TextWriter) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := v.WriteText(&b, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDescribeHealthyTopic(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	two := "2"
	devclustertest.CreateTopic(t, adm, "orders", 3, map[string]*string{"min.insync.replicas": &two})
	devclustertest.CreateTopic(t, adm, "audit", 1, nil)

	v, err := DescribeTopics(ctx(t), sticky(t, c), nil, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Topics) != 2 || v.Topics[0].Name != "audit" || v.Topics[1].Name != "orders" {
		t.Fatalf("want audit, orders sorted; got %+v", v.Topics)
	}
	o := v.Topics[1]
	if o.Partitions != 3 || o.ReplicationFactor != 3 || o.MinISR != 2 {
		t.Errorf("orders: partitions %d RF %d minISR %d, want 3 3 2", o.Partitions, o.ReplicationFactor, o.MinISR)
	}
	if len(o.Configs) != 1 || o.Configs[0] != (ConfigEntry{Name: "min.insync.replicas", Value: "2", Source: "topic"}) {
		t.Errorf("orders configs = %+v, want only min.insync.replicas=2 from topic", o.Configs)
	}
	for _, p := range o.PartitionDetails {
		if p.Status() != "ok" || len(p.ISR) != 3 || p.Leader < 0 {
			t.Errorf("partition %d: %+v, want healthy", p.Partition, p)
		}
	}
	if len(v.Topics[0].Configs) != 0 {
		t.Errorf("audit has only defaults, got configs %+v", v.Topics[0].Configs)
	}

	cv, err := DescribeCluster(ctx(t), sticky(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Brokers) != 3 || cv.Topics != 2 || cv.Partitions != 4 || !cv.Health.OK() {
		t.Errorf("cluster view %+v: want 3 brokers, 2 topics, 4 partitions, healthy", cv)
	}
	if cv.Controller != 2 || !cv.Brokers[2].Controller {
		t.Errorf("controller = %d, want 2 (kfake's highest id)", cv.Controller)
	}

	_, err = DescribeTopics(ctx(t), sticky(t, c), []string{"orders", "nope", "gone"}, Filter{})
	var nf *errs.TopicNotFound
	if !errors.As(err, &nf) || len(nf.Topics) != 2 {
		t.Fatalf("err = %v, want an *errs.TopicNotFound naming nope and gone", err)
	}
	if got := err.Error(); got != `topics "gone", "nope" not found: 'kctl describe topics' lists the topics` {
		t.Errorf("message = %q", got)
	}
	_, err = DescribeTopics(ctx(t), sticky(t, c), []string{"ordrs"}, Filter{})
	if got := fmt.Sprint(err); got != `topic "ordrs" not found (did you mean "orders"?): 'kctl describe topics' lists the topics` {
		t.Errorf("a mistyped topic: %q, want the closest name suggested", got)
	}
}

// metadataBrokers are c's brokers as a Metadata answer lists them, for a
// ControlKey hook that answers Metadata itself.
func metadataBrokers(c *devcluster.Cluster) []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for i, a := range c.Brokers() {
		host, port, _ := net.SplitHostPort(a)
		p, _ := strconv.Atoi(port)
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = int32(i), host, int32(p)
		out = append(out, b)
	}
	return out
}

// degrade makes every Metadata answer report orders-0 with a shrunk ISR
// (under-replicated and under min ISR 2) and orders-1 leaderless with an
// offline replica. kfake itself never shrinks an ISR, so a ControlKey hook
// stands in for a broker failure.
func degrade(t *testing.T, c *devcluster.Cluster) {
	t.Helper()
	// A client of its own: kgo caches metadata answers, and the test's
	// client must see only the degraded ones.
	md, err := devclustertest.Admin(t, c).Metadata(ctx(t), "orders")
	if err != nil {
		t.Fatal(err)
	}
	topicID := md.Topics["orders"].ID
	brokers := metadataBrokers(c)
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.MetadataRequest)
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		id := "kfake"
		resp.ClusterID = &id
		resp.ControllerID = 2
		resp.Brokers = brokers
		tp := kmsg.NewMetadataResponseTopic()
		name := "orders"
		tp.Topic, tp.TopicID = &name, topicID
		parts := []struct {
			leader                 int32
			replicas, isr, offline []int32
		}{
			{0, []int32{0, 1, 2}, []int32{0}, nil},
			{-1, []int32{1, 2, 0}, []int32{2, 0}, []int32{1}},
			{2, []int32{2, 0, 1}, []int32{2, 0, 1}, nil},
		}
		for i, pp := range parts {
			p := kmsg.NewMetadataResponseTopicPartition()
			p.Partition, p.Leader, p.Replicas, p.ISR, p.OfflineReplicas = int32(i), pp.leader, pp.replicas, pp.isr, pp.offline
			tp.Partitions = append(tp.Partitions, p)
		}
		resp.Topics = append(resp.Topics, tp)
		return resp, nil, true
	})
}

func TestDescribeDegradedPartitions(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	two := "2"
	devclustertest.CreateTopic(t, adm, "orders", 3, map[string]*string{"min.insync.replicas": &two})
	degrade(t, c)

	v, err := DescribeTopics(ctx(t), sticky(t, c), []string{"orders"}, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "topics_degraded", text(t, v))
	ps := v.Topics[0].PartitionDetails
	if !ps[0].UnderReplicated || !ps[0].UnderMinISR || ps[0].Leaderless {
		t.Errorf("p0 = %+v, want under-replicated and under-min-ISR with a leader", ps[0])
	}
	if !ps[1].Leaderless || !ps[1].UnderReplicated || ps[1].UnderMinISR || len(ps[1].OfflineReplicas) != 1 {
		t.Errorf("p1 = %+v, want leaderless, offline replica 1, ISR 2 = min ISR", ps[1])
	}
	if ps[2].Status() != "ok" {
		t.Errorf("p2 = %+v, want ok", ps[2])
	}

	for _, tc := range []struct {
		name string
		f    Filter
		want []int32
	}{
		{"under-replicated", Filter{UnderReplicated: true}, []int32{0, 1}},
		{"unavailable", Filter{Unavailable: true}, []int32{1}},
		{"under-min-isr", Filter{UnderMinISR: true}, []int32{0}},
		{"unavailable+under-min-isr", Filter{Unavailable: true, UnderMinISR: true}, []int32{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := DescribeTopics(ctx(t), sticky(t, c), nil, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int32
			for _, tp := range v.Topics {
				for _, p := range tp.PartitionDetails {
					got = append(got, p.Partition)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("partitions %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("partitions %v, want %v", got, tc.want)
				}
			}
		})
	}

	cv, err := DescribeCluster(ctx(t), sticky(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if cv.Health != (Health{UnderReplicated: 2, Offline: 1, UnderMinISR: 1}) {
		t.Errorf("health = %+v, want 2 under-replicated, 1 offline, 1 under-min-ISR", cv.Health)
	}
	cv.Brokers = cv.Brokers[:0] // ports are random; the golden file pins the rest
	golden(t, "cluster_degraded", text(t, cv))
}

// A DescribeConfigs failure keeps the metadata, marks what is unknown as
// unknown (not as broker defaults or healthy) and fails with an
// *IncompleteError.
func TestDescribePartialResults(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	two := "2"
	devclustertest.CreateTopic(t, adm, "orders", 2, map[string]*string{"min.insync.replicas": &two})
	devclustertest.CreateTopic(t, adm, "audit", 1, map[string]*string{"min.insync.replicas": &two})
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.DescribeConfigs}, Resource: "orders", Count: -1})

	v, err := DescribeTopics(ctx(t), sticky(t, c), nil, Filter{})
	var ie *IncompleteError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `configs of topic "orders"`) {
		t.Fatalf("err = %v, want an *IncompleteError naming orders' configs", err)
	}
	if len(v.Topics) != 2 || v.Topics[1].Name != "orders" || v.Topics[1].Partitions != 2 {
		t.Fatalf("topics = %+v, want audit and orders (2 partitions)", v.Topics)
	}
	orders, audit := v.Topics[1], v.Topics[0]
	if orders.ConfigsError == "" || orders.MinISR != 0 || len(orders.Configs) != 0 {
		t.Errorf("orders = %+v; want configsError set, min ISR 0 (unknown), no configs", orders)
	}
	if audit.ConfigsError != "" || audit.MinISR != 2 {
		t.Errorf("audit = %+v; its configs were read and must show", audit)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], `configs of topic "orders"`) {
		t.Errorf("warnings = %q, want one naming orders' configs", v.Warnings)
	}
	for _, tv := range v.Topics { // kfake places leaders at random; the golden file pins the rest
		for i := range tv.PartitionDetails {
			tv.PartitionDetails[i].Leader, tv.PartitionDetails[i].Replicas, tv.PartitionDetails[i].ISR = 0, []int32{0, 1, 2}, []int32{0, 1, 2}
		}
	}
	golden(t, "topics_configs_unknown", text(t, v))

	cv, err := DescribeCluster(ctx(t), sticky(t, c))
	if !errors.As(err, &ie) {
		t.Fatalf("describe cluster err = %v, want an *IncompleteError", err)
	}
	if cv.Health.OK() || cv.Health.MinISRUnknown != 2 {
		t.Errorf("health = %+v; want not OK with min ISR unknown for orders' 2 partitions", cv.Health)
	}
	if line := cv.Health.HealthLine(view.Plain{}); !strings.HasPrefix(line, "UNKNOWN (") || !strings.Contains(line, "min ISR unknown for 2 partitions") {
		t.Errorf("health line = %q", line)
	}
}

// BenchmarkDescribeTopics200 describes 200 topics x 3 partitions: one
// metadata request and one batched DescribeConfigs.
func BenchmarkDescribeTopics200(b *testing.B) {
	c := devclustertest.New(b)
	adm := devclustertest.Admin(b, c)
	names := make([]string, 200)
	for i := range names {
		names[i] = "bench." + strconv.Itoa(i)
	}
	resp, err := adm.CreateTopics(context.Background(), 3, 3, nil, names...)
	if err != nil || resp.Error() != nil {
		b.Fatal(err, resp.Error())
	}
	r := sticky(b, c)
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := DescribeTopics(context.Background(), r, nil, Filter{})
		if err != nil || len(v.Topics) != 200 {
			b.Fatal(err, len(v.Topics))
		}
		buf.Reset()
		if err := view.PrintJSON(&buf, v); err != nil {
			b.Fatal(err)
		}
	}
}

// Text output never carries control characters from the cluster: names and
// values are escaped (JSON keeps them, escaped by JSON itself).
func TestDescribeTextEscapesControlCharacters(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	evil := "\x1b[2Jx"
	devclustertest.CreateTopic(t, adm, "nl\nname", 1, map[string]*string{"cleanup.policy": &evil}) // kfake checks neither
	v, err := DescribeTopics(ctx(t), sticky(t, c), nil, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(text(t, v))
	if strings.ContainsAny(out, "\x1b") || strings.Contains(out, "nl\nname") {
		t.Errorf("text output carries raw control characters:\n%q", out)
	}
	if !strings.Contains(out, `Topic nl\nname`) || !strings.Contains(out, `cleanup.policy=\x1b[2Jx`) {
		t.Errorf("text output lacks the escaped name and value:\n%s", out)
	}
	var b bytes.Buffer
	if err := view.PrintJSON(&b, v); err != nil || !strings.Contains(b.String(), `"name": "nl\nname"`) || !strings.Contains(b.String(), `"value": "\u001b[2Jx"`) {
		t.Errorf("JSON = %s, %v; want the exact strings, JSON-escaped", b.String(), err)
	}
}

// A topic whose leaders are being elected (LEADER_NOT_AVAILABLE on the
// topic) is described whole, its partitions leaderless: nothing is missing,
// so it is no warning and no *IncompleteError.
func TestDescribeElectingTopic(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders", 1, nil)
	brokers := metadataBrokers(c)
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := kreq.(*kmsg.MetadataRequest).ResponseKind().(*kmsg.MetadataResponse)
		resp.Brokers = brokers
		tp := kmsg.NewMetadataResponseTopic()
		tp.Topic, tp.ErrorCode = kmsg.StringPtr("orders"), kerr.LeaderNotAvailable.Code
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Leader, p.ErrorCode, p.Replicas = -1, kerr.LeaderNotAvailable.Code, []int32{0, 1, 2}
		tp.Partitions = append(tp.Partitions, p)
		resp.Topics = append(resp.Topics, tp)
		return resp, nil, true
	})
	v, err := DescribeTopics(ctx(t), sticky(t, c), []string{"orders"}, Filter{})
	if err != nil || len(v.Warnings) != 0 {
		t.Fatalf("err = %v, warnings %q; want the topic described, no warning", err, v.Warnings)
	}
	if ps := v.Topics[0].PartitionDetails; len(ps) != 1 || !ps[0].Leaderless || ps[0].Error != "" {
		t.Errorf("partitions = %+v, want one leaderless partition without an error", ps)
	}
}
