package cli

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// skewed makes c answer Metadata as a cluster whose topic t has partition
// 0 led by broker 1 (preferred 0), partition 1 led by its preferred
// replica 1, and partition 2 leaderless (preferred 2, empty ISR): kfake
// always lists the leader first, so it never has a partition led
// elsewhere. It returns the ElectLeaders requests the cluster received,
// as "TYPE topic/partition" strings.
func skewed(t *testing.T, c *devcluster.Cluster) func() []string {
	t.Helper()
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "t", 3, nil)
	var brokers []kmsg.MetadataResponseBroker
	for i, a := range c.Brokers() {
		host, port, _ := net.SplitHostPort(a)
		p, _ := strconv.Atoi(port)
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = int32(i), host, int32(p)
		brokers = append(brokers, b)
	}
	part := func(p, leader int32, replicas, isr []int32) kmsg.MetadataResponseTopicPartition {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition, mp.Leader, mp.Replicas, mp.ISR = p, leader, replicas, isr
		if leader < 0 {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		return mp
	}
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r := req.(*kmsg.MetadataRequest)
		resp := r.ResponseKind().(*kmsg.MetadataResponse)
		resp.Brokers, resp.ControllerID, resp.ClusterID = brokers, 0, kmsg.StringPtr("kfake")
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic = kmsg.StringPtr("t")
		mt.Partitions = []kmsg.MetadataResponseTopicPartition{
			part(0, 1, []int32{0, 1, 2}, []int32{0, 1, 2}),
			part(1, 1, []int32{1, 2, 0}, []int32{1, 2, 0}),
			part(2, -1, []int32{2, 0, 1}, []int32{}),
		}
		if r.Topics == nil {
			resp.Topics = append(resp.Topics, mt)
		}
		for _, rt := range r.Topics {
			if rt.Topic != nil && *rt.Topic == "t" {
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			u := kmsg.NewMetadataResponseTopic()
			u.Topic, u.ErrorCode = rt.Topic, kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, u)
		}
		return resp, nil, true
	})
	var mu sync.Mutex
	var elected []string
	c.ControlKey(int16(kmsg.ElectLeaders), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r := req.(*kmsg.ElectLeadersRequest)
		mu.Lock()
		defer mu.Unlock()
		for _, rt := range r.Topics {
			for _, p := range rt.Partitions {
				elected = append(elected, fmt.Sprintf("%d %s/%d", r.ElectionType, rt.Topic, p))
			}
		}
		return nil, nil, false // the embedded cluster answers
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), elected...)
	}
}

// TestElectLeaders: the plan names the partitions led elsewhere (current →
// preferred) and those it cannot fix; nothing is elected without --yes (or
// a "yes"); --yes elects exactly the planned partitions; --unclean needs
// --allow-risky.
func TestElectLeaders(t *testing.T) {
	c := devclustertest.New(t)
	elected := skewed(t, c)

	code, out, errOut := run(t, c, "", false, "elect-leaders", "--dry-run")
	if code != 0 || !strings.Contains(out, "Preferred leader election for 1 of 3 partitions:") || !strings.Contains(out, "~ t:0  leader 1 → 0") ||
		!strings.Contains(out, "skipped t:2: preferred replica 2 is not in the ISR") {
		t.Fatalf("--dry-run: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, c, "", false, "elect-leaders")
	if code != 1 || !strings.Contains(errOut, "stdin is not a terminal") {
		t.Errorf("no terminal, no --yes: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, c, "no\n", true, "elect-leaders")
	if code != 1 || !strings.Contains(errOut, "elect-leaders cancelled: nothing was changed") {
		t.Errorf("answered no: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, c, "", false, "elect-leaders", "--unclean", "--yes")
	if code != 1 || !strings.Contains(errOut, "--unclean --allow-risky") {
		t.Errorf("--unclean without --allow-risky: exit %d %s", code, errOut)
	}
	if got := elected(); len(got) != 0 {
		t.Fatalf("elected without a go-ahead: %v", got)
	}
	code, _, errOut = run(t, c, "", false, "elect-leaders", "--yes")
	if code != 0 || !strings.Contains(errOut, "1 needed no election") {
		t.Errorf("--yes: exit %d %s", code, errOut)
	}
	code, out, errOut = run(t, c, "", false, "elect-leaders", "--unclean", "--allow-risky", "--yes", "--topics", "t")
	if code != 0 || !strings.Contains(out, "Unclean leader election for 1 of 3 partitions:") || !strings.Contains(out, "t:2  leader none → a live replica of 2,0,1") {
		t.Errorf("--unclean --allow-risky: exit %d\n%s%s", code, out, errOut)
	}
	if got, want := strings.Join(elected(), ", "), "0 t/0, 1 t/2"; got != want {
		t.Errorf("ElectLeaders requests: %s, want %s", got, want)
	}

	code, _, errOut = run(t, c, "", false, "elect-leaders", "--topics", "tt", "--dry-run")
	if code != 1 || !strings.Contains(errOut, `topic "tt" not found (did you mean "t"?)`) {
		t.Errorf("unknown topic: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, c, "", false, "elect-leaders", "--topics", "t:7", "--dry-run")
	if code != 1 || !strings.Contains(errOut, `partition 7 is out of range: topic "t" has 3 partitions (0-2)`) {
		t.Errorf("unknown partition: exit %d %s", code, errOut)
	}

	// describe reports the skew and lists the partitions led elsewhere.
	code, out, errOut = run(t, c, "", false, "describe", "cluster")
	if !strings.Contains(out, "Leaders:     SKEWED (2 partitions not led by the preferred replica; broker 0 leads 0, preferred 1, broker 1 leads 2, preferred 1, broker 2 leads 0, preferred 1): kctl elect-leaders") {
		t.Errorf("describe cluster: exit %d\n%s%s", code, out, errOut)
	}
	_, out, errOut = run(t, c, "", false, "describe", "topics", "--not-preferred")
	if !strings.Contains(out, "\n0          1       0,1,2") || !strings.Contains(out, "\n2          none") || strings.Contains(out, "\n1          1") {
		t.Errorf("describe topics --not-preferred:\n%s%s", out, errOut)
	}
}
