package records

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/devcluster/devclustertest"
)

func TestPartitionRangeErrorGrammar(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{1, `partition 3 is out of range: topic "t" has 1 partition (0)`},
		{3, `partition 3 is out of range: topic "t" has 3 partitions (0-2)`},
	} {
		if got := (&PartitionRangeError{Topic: "t", Partition: 3, Partitions: c.n}).Error(); got != c.want {
			t.Errorf("%d partitions: %q, want %q", c.n, got, c.want)
		}
	}
}

// A leading + is refused (it read as "ago"); - and no sign still work.
func TestParseFromPlus(t *testing.T) {
	now := time.Now()
	for _, in := range []string{"+1h", "+5", "+30m"} {
		if _, err := ParseFrom(in, now); err == nil || !strings.Contains(err.Error(), "a leading + is ambiguous") {
			t.Errorf("%s: %v", in, err)
		}
	}
	for _, in := range []string{"-1h", "1h"} {
		f, err := ParseFrom(in, now)
		if err != nil || f.Kind != FromTime || !f.Time.Equal(now.Add(-time.Hour)) {
			t.Errorf("%s: %+v %v", in, f, err)
		}
	}
}

// Every missing topic is named, not just the first.
func TestNewPlanNamesAllMissingTopics(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t1", 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := NewPlan(ctx, adm, ConsumeOptions{Topics: []string{"t1", "nope1", "nope2"}, From: From{Kind: FromBeginning}})
	var nf *TopicNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `topics "nope1", "nope2" do not exist`) {
		t.Fatalf("%v", err)
	}
}
