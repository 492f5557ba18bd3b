package cli

import (
	"context"
	"fmt"
	"testing"

	"github.com/kctl/kctl/internal/platform/errs"
)

// A name or partition that does not exist exits 1, wrapped or not, and is
// printed (not silent).
func TestExitCodeNotFound(t *testing.T) {
	for _, err := range []error{
		&errs.TopicNotFound{Topics: []string{"t"}},
		&errs.GroupNotFound{Groups: []string{"g"}},
		&errs.PartitionOutOfRange{Topic: "t", Partitions: []int32{3}, Count: 1},
		fmt.Errorf("reset: %w", &errs.GroupNotFound{Groups: []string{"g"}}),
	} {
		if got := ExitCode(err, context.Background()); got != ExitError || isSilent(err) {
			t.Errorf("%v: exit %d (silent %t), want %d and printed", err, got, isSilent(err), ExitError)
		}
	}
}
