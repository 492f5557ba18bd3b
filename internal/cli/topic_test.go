package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// A topic delete goes ahead on a terminal only when the topic's name is
// typed: "yes" is not enough; --yes skips the question; without a
// terminal it is refused.
func TestConfirmTyped(t *testing.T) {
	for _, tc := range []struct {
		name     string
		input    string
		terminal bool
		yes      bool
		wantErr  string
	}{
		{"name typed", "orders.v1\n", true, false, ""},
		{"yes is not the name", "yes\n", true, false, `the name typed was not "orders.v1"`},
		{"another name", "orders.v2\n", true, false, `the name typed was not "orders.v1"`},
		{"--yes", "", false, true, ""},
		{"no terminal", "orders.v1\n", false, false, "stdin is not a terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errOut bytes.Buffer
			f := NewFactory(IOStreams{In: strings.NewReader(tc.input), Out: &bytes.Buffer{}, ErrOut: &errOut}, func(string) string { return "" })
			f.IsTerminal = func(any) bool { return tc.terminal }
			err := confirmTyped(context.Background(), f, ChangeFlags{Yes: tc.yes}, "orders.v1")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("confirmTyped: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("confirmTyped: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseTopicPartitions(t *testing.T) {
	for in, want := range map[string]string{"orders": "orders []", "orders:0,2": "orders [0 2]", "a:b:1": "a:b [1]"} {
		tp, ps, err := parseTopicPartitions(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := tp + " " + fmt.Sprint(ps); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{":1", "orders:", "orders:x", "orders:-1"} {
		if _, _, err := parseTopicPartitions(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// --write-file's edit: configs written as given, an undeclared topic
// added, a file with environments refused.
func TestEditTopicsFile(t *testing.T) {
	base := "managedPrefixes: [orders.]\ntopics:\n  - name: orders.v1 # the main one\n    partitions: 2\n    replicationFactor: 3\n"
	out, err := editTopicsFile([]byte(base), &TopicOptions{Kind: topicSetConfig, Name: "orders.v1"}, topicEntry{Name: "orders.v1", Config: map[string]string{"retention.ms": "3d"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.Contains(s, "    config:\n      retention.ms: 3d\n") || !strings.Contains(s, "# the main one") || !strings.Contains(s, "partitions: 2") {
		t.Fatalf("set-config edit:\n%s", s)
	}
	out, err = editTopicsFile([]byte(base), &TopicOptions{Kind: topicCreate, Name: "orders.dlq"}, topicEntry{Name: "orders.dlq", Partitions: 1, ReplicationFactor: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.Contains(s, "  - name: orders.dlq\n    partitions: 1\n    replicationFactor: 3\n") {
		t.Fatalf("create edit:\n%s", s)
	}
	if _, err := editTopicsFile([]byte(base+"environments:\n  prod: {}\n"), &TopicOptions{Kind: topicSetConfig, Name: "orders.v1"}, topicEntry{}); err == nil || !strings.Contains(err.Error(), "environments") {
		t.Fatalf("file with environments: %v, want a refusal", err)
	}
}
