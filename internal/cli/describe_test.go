package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// When the cluster answers only in part, describe prints what it read,
// marks the rest unknown, and exits 1 naming what is missing.
func TestDescribeIncompleteExitsOne(t *testing.T) {
	c := newCluster(t)
	two := "2"
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders", 2, map[string]*string{"min.insync.replicas": &two})
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.DescribeConfigs}, Resource: "orders", Count: -1})

	code, out, errOut := run(t, c, "", false, "describe", "topics")
	if code != 1 || !strings.Contains(out, "Topic orders  (2 partitions, RF 3, min ISR unknown)") ||
		!strings.Contains(errOut, `Error: incomplete result, what could be read is shown: configs of topic "orders"`) {
		t.Errorf("describe topics = %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(t, c, "", false, "describe", "topics", "-o", "json")
	var v struct {
		Topics []struct {
			MinISR       int    `json:"minInsyncReplicas"`
			ConfigsError string `json:"configsError"`
		} `json:"topics"`
		Warnings []string `json:"warnings"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || len(v.Topics) != 1 || v.Topics[0].ConfigsError == "" || v.Topics[0].MinISR != 0 || len(v.Warnings) != 1 {
		t.Errorf("describe topics -o json = %d %s", code, out)
	}
	code, out, _ = run(t, c, "", false, "describe", "cluster")
	if code != 1 || !strings.Contains(out, "Health:      UNKNOWN (0 under-replicated, 0 offline, 0 under-min-ISR; min ISR unknown for 2 partitions)") {
		t.Errorf("describe cluster = %d\n%s", code, out)
	}
}
