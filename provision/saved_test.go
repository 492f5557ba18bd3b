package provision

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A saved plan round-trips through its file (0600, written atomically),
// is told from a topics file by content, and is checked against the
// cluster: the same state passes; another cluster ID, a changed config or
// a topic that appeared is refused, each change named once.
func TestSavedPlan(t *testing.T) {
	const src = "managedPrefixes: [user.]\ntopics:\n  - {name: user.signed-up, partitions: 3" + rf + ", config: {retention.ms: 1d}}\n  - {name: user.audit, partitions: 1" + rf + "}\n"
	file := mustParse(t, src)
	planned := func() *State {
		return state("c1", 3, topic("user.signed-up", 3, 1, "retention.ms=604800000@topic"), topic("other", 1, 1))
	}
	st := planned()
	p := Diff(file, st, Options{})
	if p.Summary.Create != 1 || p.Summary.Update != 1 || p.Summary.Risky != 1 {
		t.Fatalf("plan %+v", p.Summary)
	}
	sp := NewSavedPlan(file, []byte(src), st, p, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := sp.Write(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != SavedPlanFileMode {
		t.Fatalf("mode: %v, %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	b, _ := os.ReadFile(path)
	for _, c := range []struct {
		b    string
		want bool
	}{{string(b), true}, {src, false}, {`{"topics": []}`, false}, {"{topics: [{name: a}]}", false}, {"", false}} {
		if got := IsSavedPlan([]byte(c.b)); got != c.want {
			t.Errorf("IsSavedPlan(%.30q) = %v", c.b, got)
		}
	}
	got, err := ReadSavedPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan.Changes, p.Changes) || got.Plan.Summary != p.Summary || got.ClusterID != "c1" ||
		!reflect.DeepEqual(got.Scope.Topics, []string{"user.audit", "user.signed-up"}) || len(got.FileSHA256) != 64 {
		t.Fatalf("read back %+v", got)
	}
	if err := got.Check(path, planned()); err != nil {
		t.Errorf("same cluster: %v", err)
	}
	// The allowances context: the risky change still needs the allowance.
	if d := Gate(got.Plan, AllowancesFor(got.Plan.Options), nil); d.OK() || d.Refusals[0].Kind != RefusalRisky {
		t.Errorf("a saved risky plan without --allow-risky: %+v", d.Refusals)
	}

	var se *StaleError
	other := planned()
	other.ClusterID = "c2"
	if err := got.Check(path, other); !errors.As(err, &se) || se.ClusterID != "c1" || se.Now != "c2" || !strings.Contains(err.Error(), `planned for cluster "c1" but this is cluster "c2"`) {
		t.Errorf("another cluster: %v", err)
	}
	changed := state("c1", 3, topic("user.signed-up", 3, 1, "retention.ms=3600000@topic"),
		topic("user.audit", 1, 1, "retention.ms=604800000@default"),
		topic("other", 7, 1)) // other: not something the plan depends on
	err = got.Check(path, changed)
	want := []string{
		"topic user.audit was absent when planned, now present",
		"topic user.signed-up: retention.ms was 604800000 when planned, now 3600000",
	}
	if !errors.As(err, &se) || !errors.Is(err, ErrStale) || !reflect.DeepEqual(se.Changes, want) {
		t.Errorf("changed cluster: %v\nchanges %q\nwant    %q", err, se.Changes, want)
	}

	// With --prune every other topic counts: one more is stale.
	pp := Diff(file, st, Options{Prune: true})
	spp := NewSavedPlan(file, []byte(src), st, pp, time.Unix(0, 0))
	more := planned()
	more.Topics["user.new"] = topic("user.new", 1, 1)
	if err := spp.Check(path, more); !errors.As(err, &se) || !reflect.DeepEqual(se.Changes, []string{"topic user.new was absent when planned, now present"}) {
		t.Errorf("prune plan, a new topic: %v", err)
	}
}

// A damaged, edited or newer saved plan is refused with an error naming
// the file and how to make it again.
func TestReadSavedPlanErrors(t *testing.T) {
	file := mustParse(t, "topics:\n  - {name: t, partitions: 1"+rf+"}\n")
	st := state("c1", 3)
	sp := NewSavedPlan(file, nil, st, Diff(file, st, Options{}), time.Unix(0, 0))
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := sp.Write(good); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	cases := map[string]string{
		`{"kctlPlan": 2, "plan": {}}`: "format 2, this kctl reads format 1",
		`{"kctlPlan": 1, "plan": [`:   "not a readable saved plan",
		`{"kctlPlan": 1}`:             "not a complete saved plan",
		strings.Replace(string(b), `"brokers": "1, 2, 3"`, `"brokers": "1, 2"`, 1): "was edited after it was saved",
	}
	for doc, want := range cases {
		path := filepath.Join(dir, "p.json")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadSavedPlanFile(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%.40q: %v, want %q naming %s", doc, err, want, path)
		}
	}
}
