package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
)

// Allowances are what the operator allows beyond a safe change: the flags
// of apply, smoke and rebalance, and a "yes" to a prompt naming the risks.
// The zero value allows nothing but safe changes.
type Allowances struct {
	// Risky allows the changes marked ⚠ (Change.Risks): --allow-risky,
	// or a "yes" to a prompt that named each one.
	Risky bool `json:"risky" yaml:"risky"`
	// Prune allows deletes at all (--prune); MaxDeletes is how many
	// (topics, ACLs, SCRAM credentials and quotas together).
	Prune      bool `json:"prune" yaml:"prune"`
	MaxDeletes int  `json:"maxDeletes" yaml:"maxDeletes"`
	// DryRun: the changes are only validated by the brokers (nothing
	// changes), so risky ones are let through; the decision is then good
	// for a dry run only and Apply refuses it otherwise.
	DryRun bool `json:"dryRun" yaml:"dryRun"`
}

// AllowancesFor returns the allowances the diff options of plan and apply
// imply (--prune and --max-deletes); risky stays false.
func AllowancesFor(o Options) Allowances {
	return Allowances{Prune: o.Prune, MaxDeletes: o.MaxDeletes}
}

// The kinds of refusal.
const (
	// RefusalPlanned: the plan itself refuses the change (Action
	// Refused, with its reasons): nothing allows it but a change of the
	// file or the cluster.
	RefusalPlanned = "refused"
	// RefusalRisky: a risk of the change; --allow-risky allows it.
	RefusalRisky = "risky"
	// RefusalDeletes: a delete beyond --prune/--max-deletes.
	RefusalDeletes = "deletes"
	// RefusalMarker: a reassignment while a rebalance is recorded for the
	// cluster (or its marker cannot be read).
	RefusalMarker = "marker"
)

// Refusal is why one change may not be carried out.
type Refusal struct {
	Kind string `json:"kind" yaml:"kind"`
	// Change names the change: topic user.signed-up, acl …, cluster.
	Change string `json:"change" yaml:"change"`
	Reason string `json:"reason" yaml:"reason"`
	// Allow is the flag that would allow it ("--allow-risky",
	// "--prune --max-deletes 3"); "" when no flag does.
	Allow string `json:"allow,omitempty" yaml:"allow,omitempty"`
	// Err is the underlying error (a *MarkerError) when there is one.
	Err error `json:"-" yaml:"-"`
}

func (r Refusal) Error() string {
	s := r.Change + ": " + r.Reason
	if r.Allow != "" {
		s += " (allowed by " + r.Allow + ")"
	}
	return s
}

func (r Refusal) Unwrap() error { return r.Err }

// GateError is a decision's refusals: nothing of the plan may be carried
// out. errors.As finds it; Refusals say why, change by change.
type GateError struct {
	Refusals []Refusal
}

func (e *GateError) Error() string {
	parts := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		parts[i] = r.Error()
	}
	return fmt.Sprintf("%s refused: %s; nothing was applied", human.Plural(len(e.Refusals), "change"), strings.Join(parts, "; "))
}

// Unwrap returns each refusal (errors.As finds a *MarkerError in one).
func (e *GateError) Unwrap() []error {
	out := make([]error, len(e.Refusals))
	for i, r := range e.Refusals {
		out[i] = r
	}
	return out
}

// Only reports whether every refusal is of kind (and there is one).
func (e *GateError) Only(kind string) bool {
	for _, r := range e.Refusals {
		if r.Kind != kind {
			return false
		}
	}
	return len(e.Refusals) > 0
}

// Has reports whether a refusal is of kind.
func (e *GateError) Has(kind string) bool {
	for _, r := range e.Refusals {
		if r.Kind == kind {
			return true
		}
	}
	return false
}

// ErrNotGated is returned by Apply and Executor.Run for a plan (or a
// rebalance state) that did not come through Gate with a decision allowing
// it, or that changed after the decision: every change to a cluster goes
// through the gate.
var ErrNotGated = errors.New("the plan was not allowed by provision.Gate (or changed after it): nothing was applied")

// Proposal is what Gate decides on: a *Plan (apply, smoke, access
// changes, a saved plan) or a *RebalancePlan (rebalance).
type Proposal interface {
	// refusals returns why the proposal may not be carried out under a,
	// with marker the rebalance recorded for its cluster (nil: none).
	refusals(a Allowances, marker *RebalanceState, markerPath string) []Refusal
	clusterID() string
	// fingerprint identifies the changes decided on.
	fingerprint() string
}

// Decision is Gate's answer: whether the proposal may be carried out and,
// if not, why not for each refused change. A plan is carried out whole or
// not at all: one refusal stops every change.
type Decision struct {
	proposal Proposal
	// Allowances are those the decision was made with.
	Allowances Allowances
	// Refusals are empty when the proposal may go ahead.
	Refusals []Refusal
	stamp    string
}

// Gate decides what of p may be carried out under a, given the markers of
// rebalances in progress (nil: none is consulted). It does no I/O but
// reading the marker of p's cluster. It is the one policy of every change
// to a cluster: Apply and Executor.Run carry out only what a Decision
// allows.
//
//   - a change the plan refuses (Action Refused) stops the plan;
//   - a change with risks needs a.Risky (or a.DryRun, then only for a dry run);
//   - deletes need a.Prune, and no more than a.MaxDeletes of them;
//   - a reassignment (replicationFactor change, rebalance) is refused while
//     a rebalance is recorded for the cluster.
func Gate(p Proposal, a Allowances, m *Markers) Decision {
	d := Decision{proposal: p, Allowances: a}
	if p == nil {
		d.Refusals = []Refusal{{Kind: RefusalPlanned, Change: "plan", Reason: "no plan"}}
		return d
	}
	var marker *RebalanceState
	path := ""
	if m != nil {
		path = m.Path(p.clusterID())
		st, err := m.Load(p.clusterID())
		if err != nil {
			d.Refusals = append(d.Refusals, Refusal{Kind: RefusalMarker, Change: "cluster " + p.clusterID(), Reason: err.Error(), Err: err})
		}
		marker = st
	}
	d.Refusals = append(d.Refusals, p.refusals(a, marker, path)...)
	if len(d.Refusals) == 0 {
		d.stamp = p.fingerprint()
	}
	return d
}

// OK reports whether the proposal may be carried out.
func (d Decision) OK() bool { return d.proposal != nil && len(d.Refusals) == 0 }

// Err is nil when the proposal may go ahead, else a *GateError.
func (d Decision) Err() error {
	if d.OK() {
		return nil
	}
	return &GateError{Refusals: d.Refusals}
}

// Plan is the plan decided on (nil for a rebalance).
func (d Decision) Plan() *Plan {
	p, _ := d.proposal.(*Plan)
	return p
}

// Risky returns the risky refusals: what a "yes" to a prompt naming them
// (or --allow-risky) would allow.
func (d Decision) Risky() []Refusal {
	var out []Refusal
	for _, r := range d.Refusals {
		if r.Kind == RefusalRisky {
			out = append(out, r)
		}
	}
	return out
}

// check returns nil when the decision allows carrying out p now (for real
// unless dryRun), ErrNotGated otherwise.
func (d Decision) check(p Proposal, dryRun bool) error {
	if !d.OK() {
		return d.Err()
	}
	if d.proposal != p || d.stamp == "" || d.stamp != p.fingerprint() {
		return ErrNotGated
	}
	if d.Allowances.DryRun && !dryRun {
		return fmt.Errorf("%w: it was allowed for a dry run only", ErrNotGated)
	}
	return nil
}

// RebalanceState returns the state an Executor carries out for an allowed
// rebalance plan; nil when the decision is not for one, or refuses it.
func (d Decision) RebalanceState(maxMoves int, now time.Time) *RebalanceState {
	rp, ok := d.proposal.(*RebalancePlan)
	if !ok || d.check(rp, false) != nil {
		return nil
	}
	st := NewRebalanceState(rp, maxMoves, now)
	st.gated = true
	return st
}

// ReassignmentState returns the state that carries out the replica lists
// of an allowed plan's replication-factor changes with a throttle of rate
// bytes/s; nil when the decision does not allow the plan.
func (d Decision) ReassignmentState(rate int64, maxMoves int, now time.Time) *RebalanceState {
	p, ok := d.proposal.(*Plan)
	if !ok || d.check(p, false) != nil {
		return nil
	}
	st := p.reassignmentState(rate, maxMoves, now)
	st.gated = true
	return st
}

func fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "" // never stamped
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (p *Plan) clusterID() string { return p.ClusterID }

func (p *Plan) fingerprint() string {
	return fingerprint(struct {
		ClusterID string
		Changes   []Change
		Access    []AccessChange
		Brokers   []BrokerChange
	}{p.ClusterID, p.Changes, p.Access, p.BrokerConfigs})
}

func (p *Plan) refusals(a Allowances, marker *RebalanceState, markerPath string) []Refusal {
	var out []Refusal
	deletes := 0
	for _, c := range p.Changes {
		name := "topic " + c.Topic
		if c.Topic == "" {
			name = "cluster"
		}
		switch c.Action {
		case Refused:
			out = append(out, Refusal{Kind: RefusalPlanned, Change: name, Reason: strings.Join(c.Reasons, "; ")})
		case Delete:
			deletes++
		}
		if !a.Risky && !a.DryRun {
			for _, r := range c.Risks {
				out = append(out, Refusal{Kind: RefusalRisky, Change: name, Reason: r.Message, Allow: "--allow-risky"})
			}
		}
	}
	for _, c := range p.BrokerConfigs {
		if c.Action == Refused {
			out = append(out, Refusal{Kind: RefusalPlanned, Change: c.Name, Reason: strings.Join(c.Reasons, "; ")})
		}
		if !a.Risky && !a.DryRun {
			for _, r := range c.Risks {
				out = append(out, Refusal{Kind: RefusalRisky, Change: c.Name, Reason: r.Message, Allow: "--allow-risky"})
			}
		}
	}
	for _, c := range p.Access {
		switch c.Action {
		case Refused:
			out = append(out, Refusal{Kind: RefusalPlanned, Change: c.Kind + " " + c.Name, Reason: strings.Join(c.Reasons, "; ")})
		case Delete:
			deletes++
		}
	}
	switch {
	case deletes > 0 && !a.Prune:
		out = append(out, Refusal{Kind: RefusalDeletes, Change: "plan", Allow: fmt.Sprintf("--prune --max-deletes %d", deletes),
			Reason: fmt.Sprintf("%s without --prune", human.Plural(deletes, "delete"))})
	case deletes > a.MaxDeletes:
		out = append(out, Refusal{Kind: RefusalDeletes, Change: "plan", Allow: fmt.Sprintf("--max-deletes %d", deletes),
			Reason: fmt.Sprintf("%s but --max-deletes is %d", human.Plural(deletes, "delete"), a.MaxDeletes)})
	}
	if marker != nil && p.HasReassignments() {
		err := &MarkerError{Path: markerPath, ClusterID: p.ClusterID, State: marker, Doing: "changing a replicationFactor"}
		out = append(out, Refusal{Kind: RefusalMarker, Change: "cluster " + p.ClusterID, Reason: err.Error(), Err: err})
	}
	return out
}

func (p *RebalancePlan) clusterID() string { return p.ClusterID }

func (p *RebalancePlan) fingerprint() string {
	return fingerprint(struct {
		ClusterID string
		Throttle  int64
		Moves     []PlannedMove
	}{p.ClusterID, p.Throttle, p.Moves})
}

func (p *RebalancePlan) refusals(_ Allowances, marker *RebalanceState, markerPath string) []Refusal {
	if marker == nil {
		return nil
	}
	err := &MarkerError{Path: markerPath, ClusterID: p.ClusterID, State: marker, Doing: "starting another rebalance"}
	return []Refusal{{Kind: RefusalMarker, Change: "cluster " + p.ClusterID, Reason: err.Error(), Err: err}}
}
