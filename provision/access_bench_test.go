package provision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// accessFileN declares n services, each a SCRAM user with a producer and a
// consumer shorthand (5 ACLs) and a quota: 5n ACLs, n users, n quotas.
func accessFileN(n int) []byte {
	var b strings.Builder
	b.WriteString("managedPrefixes: [svc.]\ntopics: []\nusers:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: svc-%05d, iterations: 4096, passwordFrom: {env: PW}}\n", i)
	}
	b.WriteString("acls:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - principal: User:svc-%05d\n    producer: {topics: [svc.out-%05d]}\n    consumer: {topics: [svc.in-%05d], group: svc-%05d}\n", i, i, i, i)
	}
	b.WriteString("quotas:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {user: svc-%05d, consumerByteRate: 10MiB}\n", i)
	}
	return []byte(b.String())
}

// BenchmarkAccessApply1000: parse, observe, diff and apply 1,000 services'
// access (5,000 ACLs, 1,000 SCRAM users, 1,000 quotas) on a fresh kfake
// cluster, then the second plan (which must be empty). Reports the
// requests apply sent. Run: go test ./provision -run '^$' -bench AccessApply -benchtime 3x
func BenchmarkAccessApply1000(b *testing.B) {
	src := accessFileN(1000)
	env := func(string) string { return "pw" }
	for b.Loop() {
		b.StopTimer()
		c, cl, k := startBench(b)
		b.StartTimer()
		f, diags := topology.Parse("topics.yaml", src)
		if err := diags.Err(); err != nil {
			b.Fatal(err)
		}
		st, err := Observe(ctx(b), cl, f)
		if err != nil {
			b.Fatal(err)
		}
		p := Diff(f, st, Options{})
		if p.Summary.Create != 7000 {
			b.Fatalf("plan creates %d, want 7000", p.Summary.Create)
		}
		k.reset()
		if _, err := Apply(ctx(b), cl, gated(p), ApplyOptions{Getenv: env}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(k.get(kmsg.CreateACLs)+k.get(kmsg.AlterUserSCRAMCredentials)+k.get(kmsg.AlterClientQuotas)), "requests/op")
		st, err = Observe(ctx(b), cl, f)
		if err != nil {
			b.Fatal(err)
		}
		if again := Diff(f, st, Options{}); again.HasChanges() {
			b.Fatalf("second plan: %+v", again.Summary)
		}
		cl.Close()
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkAccessDiff5000: the pure diff of 5,000 declared ACLs against a
// cluster holding all of them plus 5,000 undeclared ones of managed
// principals, with --prune.
func BenchmarkAccessDiff5000(b *testing.B) {
	f, diags := topology.Parse("topics.yaml", accessFileN(1000))
	if err := diags.Err(); err != nil {
		b.Fatal(err)
	}
	have := append([]topology.ACL{}, f.ACLs...)
	for _, a := range f.ACLs {
		a.ResourceName += "-old"
		have = append(have, a)
	}
	st := &State{Topics: map[string]*TopicState{}, Access: &AccessState{ACLs: have}}
	for b.Loop() {
		p := Diff(f, st, Options{Prune: true, MaxDeletes: 1 << 20})
		if p.Summary.Delete != 5000 {
			b.Fatalf("deletes %d", p.Summary.Delete)
		}
	}
}
