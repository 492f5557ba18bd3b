package observe

import "testing"

func TestSynonymValue(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"log.retention.hours", "168", "604800000"},
		{"log.retention.minutes", "10", "600000"},
		{"log.retention.ms", "604800000", "604800000"},
		{"log.retention.hours", "-1", "-1"},
		{"log.roll.hours", "1", "3600000"},
		{"min.insync.replicas", "1", "1"},
	} {
		if got := *synonymValue(c.name, new(c.in)); got != c.want {
			t.Errorf("synonymValue(%s, %s) = %s, want %s", c.name, c.in, got, c.want)
		}
	}
	if synonymValue("x", nil) != nil {
		t.Error("nil value")
	}
}
