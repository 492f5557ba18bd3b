package errs

import "testing"

func TestWording(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&TopicNotFound{Topics: []string{"nope"}}, `topic "nope" not found: 'kctl describe topics' lists the topics`},
		{&TopicNotFound{Topics: []string{"a", "b"}, Suggestions: map[string]string{"b": "bb"}, Hint: "nothing was reset"},
			`topics "a", "b" not found (did you mean "bb"?): 'kctl describe topics' lists the topics; nothing was reset`},
		{&GroupNotFound{Groups: []string{"biling"}, Suggestions: map[string]string{"biling": "billing"}},
			`consumer group "biling" not found (did you mean "billing"?): 'kctl groups list' lists every group`},
		{&GroupNotFound{Groups: []string{"x", "y"}, Hint: "add --create-group"},
			`consumer groups "x", "y" not found: 'kctl groups list' lists every group; add --create-group`},
		{&PartitionOutOfRange{Topic: "t", Partitions: []int32{3}, Count: 0}, `partition 3 is out of range: topic "t" has no partitions`},
		{&PartitionOutOfRange{Topic: "t", Partitions: []int32{3}, Count: 1}, `partition 3 is out of range: topic "t" has 1 partition (0)`},
		{&PartitionOutOfRange{Topic: "t", Partitions: []int32{3}, Count: 3}, `partition 3 is out of range: topic "t" has 3 partitions (0-2)`},
		{&PartitionOutOfRange{Topic: "t", Partitions: []int32{3, 7}, Count: 2}, `partitions 3, 7 are out of range: topic "t" has 2 partitions (0-1)`},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"billing", "orders", "email-service", "Shipping"}
	for name, want := range map[string]string{
		"biling":    "billing",
		"ORDERS":    "orders",
		"ordrs":     "orders",
		"email":     "email-service", // a prefix
		"shiping":   "Shipping",
		"zzz":       "",
		"billing":   "", // itself is no suggestion
		"inventory": "",
	} {
		if got := Closest(name, cands); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
	if got := Closest("ab", []string{"ac", "aa"}); got != "aa" {
		t.Errorf("tie: got %q, want the alphabetically first aa", got)
	}
	s := Suggest([]string{"biling", "zzz"}, cands)
	if len(s) != 1 || s["biling"] != "billing" {
		t.Errorf("Suggest = %v", s)
	}
	if Suggest([]string{"zzz"}, cands) != nil {
		t.Error("Suggest without a close name is not nil")
	}
}
