package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// gated is a plan through the gate with everything allowed: for tests of
// what Apply sends, not of the policy (the tests below test that).
func gated(p *Plan) Decision {
	return Gate(p, Allowances{Risky: true, Prune: true, MaxDeletes: 1 << 30}, nil)
}

// Every kind of risky change is stopped without the allowance, with a
// refusal naming --allow-risky, and Apply sends nothing (its client is nil:
// a request would panic). --allow-risky lets each through; a dry run too,
// but only for a dry run.
func TestGateStopsEveryRisk(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range riskCases {
		if c.want == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			p := Diff(mustParse(t, "topics:\n  - "+c.file+"\n"), state("c1", 3, c.cluster), Options{})
			d := Gate(p, Allowances{}, nil)
			if d.OK() || len(d.Refusals) != len(c.want) {
				t.Fatalf("refusals = %+v, want %d risky", d.Refusals, len(c.want))
			}
			for _, r := range d.Refusals {
				if r.Kind != RefusalRisky || r.Allow != "--allow-risky" || r.Change != "topic t" || r.Reason == "" {
					t.Errorf("refusal %+v", r)
				}
			}
			var ge *GateError
			if _, err := Apply(context.Background(), nil, d, ApplyOptions{}); !errors.As(err, &ge) || !ge.Only(RefusalRisky) {
				t.Errorf("Apply without the allowance: %v, want a *GateError of risky refusals", err)
			}
			if !Gate(p, Allowances{Risky: true}, nil).OK() {
				t.Error("--allow-risky does not allow it")
			}
			dry := Gate(p, Allowances{DryRun: true}, nil)
			if !dry.OK() {
				t.Fatalf("a dry run is refused: %v", dry.Err())
			}
			if _, err := Apply(context.Background(), nil, dry, ApplyOptions{}); !errors.Is(err, ErrNotGated) {
				t.Errorf("a decision for a dry run applied for real: %v, want ErrNotGated", err)
			}
			for _, k := range c.want {
				seen[k] = true
			}
		})
	}
	for _, k := range []string{RiskPartitionsOnCompacted, RiskCompactToDelete, RiskRetentionLowered, RiskMinISRLoweredToOne, RiskUncleanElectionEnabled, RiskRFLowered} {
		if !seen[k] {
			t.Errorf("no case of risk %s reaches the gate", k)
		}
	}
}

// Apply and Executor.Run carry out only what a decision of the gate allows:
// no decision, a plan changed after it, or a rebalance state not made by
// it is ErrNotGated, with nothing sent.
func TestOnlyGatedPlansAreCarriedOut(t *testing.T) {
	bg := context.Background()
	if _, err := Apply(bg, nil, Decision{}, ApplyOptions{}); !errors.Is(err, ErrNotGated) {
		t.Errorf("Apply(Decision{}) = %v, want ErrNotGated", err)
	}
	p := Diff(mustParse(t, "topics:\n  - {name: t, partitions: 3"+rf+", config: {retention.ms: 1d}}\n"),
		state("c1", 3, topic("t", 3, 1, "retention.ms=86400000@topic")), Options{})
	if p.HasChanges() {
		t.Fatalf("want a plan without changes: %+v", p.Changes)
	}
	d := Gate(p, Allowances{}, nil)
	if !d.OK() {
		t.Fatal(d.Err())
	}
	// A risky change slipped into the plan after the gate said yes.
	v := "3600000"
	p.Changes = append(p.Changes, Change{Action: Update, Topic: "t", Configs: []ConfigChange{{Name: "retention.ms", Op: OpSet, New: &v}},
		Risks: []Risk{{Kind: RiskRetentionLowered, Message: "lower"}}})
	p.count()
	if _, err := Apply(bg, nil, d, ApplyOptions{}); !errors.Is(err, ErrNotGated) {
		t.Errorf("a plan changed after the gate: %v, want ErrNotGated", err)
	}
	rp := &RebalancePlan{ClusterID: "c1", Moves: []PlannedMove{{}}}
	if err := (&Executor{State: NewRebalanceState(rp, 1, time.Unix(0, 0))}).Run(bg); !errors.Is(err, ErrNotGated) {
		t.Errorf("Executor.Run of a state not from the gate = %v, want ErrNotGated", err)
	}
	if err := (&Executor{}).Run(bg); !errors.Is(err, ErrNotGated) {
		t.Errorf("Executor.Run without a state = %v, want ErrNotGated", err)
	}
	if st := Gate(rp, Allowances{}, nil).RebalanceState(1, time.Unix(0, 0)); st == nil || !st.gated {
		t.Errorf("an allowed rebalance plan gives no runnable state: %+v", st)
	}
	if st := d.RebalanceState(1, time.Unix(0, 0)); st != nil {
		t.Error("a topics plan's decision gave a rebalance state")
	}
}

// A change the plan refuses stops the whole plan (ErrRefused from Apply);
// deletes need --prune and no more than --max-deletes, for topics and
// access changes alike.
func TestGateRefusedAndDeletes(t *testing.T) {
	p := Diff(mustParse(t, "topics:\n  - {name: t, partitions: 1"+rf+"}\n"), state("c1", 3, topic("t", 3, 1, "")), Options{})
	d := Gate(p, Allowances{Risky: true}, nil)
	if d.OK() || d.Refusals[0].Kind != RefusalPlanned || d.Refusals[0].Allow != "" {
		t.Fatalf("refusals %+v", d.Refusals)
	}
	if _, err := Apply(context.Background(), nil, d, ApplyOptions{}); !errors.Is(err, ErrRefused) {
		t.Errorf("Apply = %v, want ErrRefused", err)
	}

	del := &Plan{ClusterID: "c1", Changes: []Change{{Action: Delete, Topic: "user.old"}},
		Access: []AccessChange{{Action: Delete, Kind: KindACL, Name: "User:x allow read on topic user.old"}}}
	del.count()
	for _, c := range []struct {
		allow Allowances
		want  string // the Allow of the refusal; "" allowed
	}{
		{Allowances{}, "--prune --max-deletes 2"},
		{Allowances{Prune: true, MaxDeletes: 1}, "--max-deletes 2"},
		{Allowances{Prune: true, MaxDeletes: 2}, ""},
	} {
		d := Gate(del, c.allow, nil)
		got := ""
		if !d.OK() {
			if len(d.Refusals) != 1 || d.Refusals[0].Kind != RefusalDeletes {
				t.Fatalf("%+v: refusals %+v", c.allow, d.Refusals)
			}
			got = d.Refusals[0].Allow
		}
		if got != c.want {
			t.Errorf("%+v: allowed by %q, want %q", c.allow, got, c.want)
		}
	}
}

// While a rebalance is recorded for the cluster, a replicationFactor change
// and another rebalance are refused with the *MarkerError; a plan without
// reassignments goes ahead. The marker store writes 0600 files atomically,
// and a state loaded from it may be resumed.
func TestGateMarkers(t *testing.T) {
	m := &Markers{Dir: t.TempDir()}
	rfUp := Diff(mustParse(t, "topics:\n  - {name: t, partitions: 3, replicationFactor: 3}\n"), state("c1", 3, topic("t", 3, 1, "")), Options{})
	if !rfUp.HasReassignments() {
		t.Fatalf("want a replicationFactor change: %+v", rfUp.Changes)
	}
	if d := Gate(rfUp, Allowances{}, m); !d.OK() {
		t.Fatalf("no marker yet: %v", d.Err())
	}
	rec := NewRebalanceState(&RebalancePlan{ClusterID: "c1"}, 1, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err := m.Save(rec); err != nil {
		t.Fatal(err)
	}
	var me *MarkerError
	if err := Gate(rfUp, Allowances{Risky: true}, m).Err(); !errors.As(err, &me) || me.Path != m.Path("c1") {
		t.Errorf("replicationFactor change over a marker: %v, want a *MarkerError naming %s", err, m.Path("c1"))
	}
	if err := Gate(&RebalancePlan{ClusterID: "c1"}, Allowances{}, m).Err(); !errors.As(err, &me) {
		t.Errorf("rebalance over a marker: %v, want a *MarkerError", err)
	}
	safe := Diff(mustParse(t, "topics:\n  - {name: u, partitions: 1"+rf+"}\n"), state("c1", 3), Options{})
	if err := Gate(safe, Allowances{}, m).Err(); err != nil {
		t.Errorf("a plan without reassignments over a marker: %v", err)
	}
	if err := Gate(rfUp, Allowances{}, &Markers{Dir: t.TempDir()}).Err(); err != nil {
		t.Errorf("another store (another cluster's markers): %v", err)
	}
	if fi, err := os.Stat(m.Path("c1")); err != nil || fi.Mode().Perm() != MarkerFileMode {
		t.Errorf("marker mode: %v, %v; want %v", fi, err, os.FileMode(MarkerFileMode))
	}
	if left, _ := filepath.Glob(filepath.Join(m.Dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	st, err := m.Load("c1")
	if err != nil || st == nil || !st.gated || !st.Started.Equal(rec.Started) {
		t.Fatalf("Load = %+v, %v", st, err)
	}
	if err := m.Remove("c1"); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Load("c1"); st != nil || err != nil {
		t.Errorf("after Remove: %+v, %v", st, err)
	}
}
