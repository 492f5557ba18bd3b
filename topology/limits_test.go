package topology

import (
	"strings"
	"testing"
)

// A topic above the per-topic ceiling is an error at its name; the file's
// limits.maxPartitions raises the ceiling and --max-partitions (the flag)
// wins over both; a bad limits section is an error with its position.
func TestPartitionCeiling(t *testing.T) {
	const topics = "topics:\n  - {name: big, partitions: 15000, replicationFactor: 1}\n  - {name: small, partitions: 3, replicationFactor: 1}\n"
	f, diags := Parse("t.yaml", []byte(topics))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := WithLimits(f, diags, 0)
	if len(got) != 1 || got[0].Severity != SeverityError || got[0].Pos.Line != 2 ||
		!strings.Contains(got[0].Message, `topic "big": 15000 partitions is above the ceiling of 10000 per topic`) {
		t.Errorf("default ceiling: %v", got)
	}
	if got := WithLimits(f, diags, 20000); len(got) != 0 {
		t.Errorf("--max-partitions 20000: %v, want none", got)
	}
	if got := WithLimits(f, diags, 2); len(got) != 2 {
		t.Errorf("--max-partitions 2: %v, want both topics refused", got)
	}

	f, diags = Parse("t.yaml", []byte("limits: {maxPartitions: 20000, partitionsPerBroker: 9000}\n"+topics))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if f.Limits.MaxPartitions != 20000 || f.Limits.PerBroker() != 9000 {
		t.Errorf("limits = %+v", f.Limits)
	}
	if got := WithLimits(f, diags, 0); len(got) != 0 {
		t.Errorf("limits.maxPartitions 20000: %v, want none", got)
	}
	if got := WithLimits(f, diags, 100); len(got) != 1 || !strings.Contains(got[0].Message, "ceiling of 100") {
		t.Errorf("the flag wins over the file: %v", got)
	}
	if (Limits{}).PerBroker() != DefaultPartitionsPerBroker || (Limits{}).MaxPartitionsOr(0) != DefaultMaxPartitions {
		t.Error("zero limits do not take the defaults")
	}

	_, diags = Parse("t.yaml", []byte("limits: {maxPartitions: 0, partitonsPerBroker: 5}\n"+topics))
	if errs := diags.Errors(); len(errs) != 2 || !strings.Contains(errs[0].Message, "limits.maxPartitions must be at least 1") ||
		!strings.Contains(errs[1].Message, `unknown key "partitonsPerBroker"`) {
		t.Errorf("bad limits: %v", errs)
	}
	if got := WithLimits(nil, nil, 0); got != nil {
		t.Errorf("nil file: %v", got)
	}
}
