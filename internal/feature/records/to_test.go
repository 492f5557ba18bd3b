package records

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

func ends(p *Plan) string {
	var s []string
	for _, pp := range p.Partitions {
		s = append(s, fmt.Sprintf("%d:%d-%d", pp.Partition, pp.Start, pp.End))
	}
	return strings.Join(s, " ")
}

// --to moves each partition's end down to an offset or the offset at a
// time; a start past it leaves nothing to read.
func TestBuildPlanTo(t *testing.T) {
	now := time.Unix(1000, 0)
	obs := observed()
	obs.AtTo = kadm.ListedOffsets{"t": {
		0: {Topic: "t", Partition: 0, Offset: 60},
		1: {Topic: "t", Partition: 1, Offset: -1}, // no record at or after: the end
		2: {Topic: "t", Partition: 2, Offset: 5},
	}}
	for _, tc := range []struct{ from, to, want string }{
		{"beginning", "50", "0:10-50 1:10-50 2:10-50"},
		{"70", "50", "0:70-70 1:70-70 2:70-70"},
		{"beginning", "1970-01-01T00:00:05Z", "0:10-60 1:10-100 2:10-10"},
		{"beginning", "end", "0:10-100 1:10-100 2:10-100"},
		{"beginning", "500", "0:10-100 1:10-100 2:10-100"},
	} {
		fr, err := ParseFrom(tc.from, now)
		if err != nil {
			t.Fatal(err)
		}
		to, err := ParseTo(tc.to, now)
		if err != nil {
			t.Fatal(err)
		}
		p, err := BuildPlan(obs, ConsumeOptions{Topics: []string{"t"}, From: fr, To: &to, Exit: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := ends(p); got != tc.want {
			t.Errorf("--from %s --to %s: %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
	for _, bad := range []string{"", "-5", "+1h", "soon"} {
		if _, err := ParseTo(bad, now); err == nil || !strings.Contains(err.Error(), "--to") {
			t.Errorf("--to %q: %v", bad, err)
		}
	}
}
