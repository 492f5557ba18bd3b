package records

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"

	"github.com/kctl/kctl/internal/platform/errs"
)

// A --partition the topic does not have is one *errs.PartitionOutOfRange
// per topic naming every such partition, with the topic's partition count.
func TestNewPlanPartitionOutOfRange(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "one", 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := NewPlan(ctx, adm, ConsumeOptions{Topics: []string{"one"}, Partitions: []int32{0, 3, 5}, From: From{Kind: FromBeginning}})
	var pr *errs.PartitionOutOfRange
	if !errors.As(err, &pr) || err.Error() != `partitions 3, 5 are out of range: topic "one" has 1 partition (0)` {
		t.Fatalf("%v", err)
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
	var nf *errs.TopicNotFound
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `topics "nope1", "nope2" not found`) {
		t.Fatalf("%v", err)
	}
	// A close existing name is suggested.
	_, err = NewPlan(ctx, adm, ConsumeOptions{Topics: []string{"t2"}, From: From{Kind: FromBeginning}})
	if !errors.As(err, &nf) || err.Error() != `topic "t2" not found (did you mean "t1"?): 'kctl describe topics' lists the topics` {
		t.Fatalf("%v", err)
	}
}
