package provision

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/topology"
)

// SavedPlanFormat is the format of a saved plan this kctl writes and
// reads: the value of its "kctlPlan" key.
const SavedPlanFormat = 1

// SavedPlanFileMode is the mode of a saved plan file.
const SavedPlanFileMode = 0o600

// Scope is what a plan depends on, and what a saved plan re-observes:
// the declared topics (their metadata and configs), the access sections
// read, and, for a plan that prunes, every other topic.
type Scope struct {
	Topics []string `json:"topics" yaml:"topics"`
	// Access: the file has access sections; AccessParts are those read
	// (ReadACLs, ReadUsers, ReadQuotas).
	Access      bool `json:"access,omitempty" yaml:"access,omitempty"`
	AccessParts int  `json:"accessParts,omitempty" yaml:"accessParts,omitempty"`
	// Brokers: the file has a brokers: section, so the dynamic broker
	// configs are read.
	Brokers bool `json:"brokers,omitempty" yaml:"brokers,omitempty"`
	// Undeclared: the plan prunes, so the other topics count too.
	Undeclared bool `json:"undeclared,omitempty" yaml:"undeclared,omitempty"`
}

// ScopeOf returns the scope of a plan of file with opts.
func ScopeOf(file *topology.File, opts Options) Scope {
	sc := Scope{Topics: []string{}, Undeclared: opts.Prune, Brokers: file.Brokers != nil}
	for _, t := range file.Topics {
		sc.Topics = append(sc.Topics, t.Name)
	}
	sort.Strings(sc.Topics)
	if file.HasAccess() {
		sc.Access, sc.AccessParts = true, AccessParts(file)
	}
	return sc
}

// Observed is the digest of the observed state a plan depends on: each
// item ("topic user.signed-up: retention.ms") with its value, and their
// SHA-256.
type Observed struct {
	SHA256 string            `json:"sha256" yaml:"sha256"`
	Items  map[string]string `json:"items" yaml:"items"`
}

// Digest returns the items of st within scope and their hash. Leaders are
// left out (they move without changing what a plan does); replica lists
// are in.
func Digest(st *State, sc Scope) Observed {
	items := map[string]string{}
	var brokers []string
	for _, b := range st.BrokerRacks {
		s := strconv.Itoa(int(b.ID))
		if b.Rack != "" {
			s += " (rack " + b.Rack + ")"
		}
		brokers = append(brokers, s)
	}
	slices.Sort(brokers)
	items["brokers"] = strings.Join(brokers, ", ")
	declared := map[string]bool{}
	for _, name := range sc.Topics {
		declared[name] = true
		ts := st.Topics[name]
		key := "topic " + name
		if ts == nil {
			items[key] = "absent"
			continue
		}
		items[key] = "present"
		items[key+": partitions"] = strconv.Itoa(int(ts.Partitions))
		items[key+": replicationFactor"] = strconv.Itoa(int(ts.ReplicationFactor))
		var reps []string
		for _, p := range ts.Assignment {
			ids := make([]string, len(p.Replicas))
			for i, r := range p.Replicas {
				ids[i] = strconv.Itoa(int(r))
			}
			reps = append(reps, fmt.Sprintf("%d:[%s]", p.Partition, strings.Join(ids, ",")))
		}
		items[key+": replicas"] = strings.Join(reps, " ")
		if len(ts.Reassigning) > 0 {
			items[key+": reassigning"] = fmt.Sprint(ts.Reassigning)
		}
		if ts.Err != "" {
			items[key+": error"] = ts.Err
		}
		if ts.ConfigErr != "" {
			items[key+": configs"] = ts.ConfigErr
		}
		for n, c := range ts.Configs {
			v := "(none)"
			if c.Value != nil {
				v = *c.Value
			}
			items[key+": "+n] = v
			items[key+": "+n+" source"] = c.Source
		}
	}
	if sc.Undeclared {
		for name := range st.Topics {
			if !declared[name] {
				items["topic "+name] = "present"
			}
		}
	}
	digestBrokers(st, items)
	if a := st.Access; a != nil {
		for _, acl := range a.ACLs {
			items["acl "+acl.String()] = "present"
		}
		for u, mechs := range a.Users {
			for m, it := range mechs {
				items["user "+u+" ("+m+")"] = strconv.Itoa(int(it)) + " iterations"
			}
		}
		for _, q := range a.Quotas {
			var vs []string
			for _, k := range topology.SortedQuotaKeys(q.Values) {
				vs = append(vs, k+"="+strconv.FormatFloat(q.Values[k], 'g', -1, 64))
			}
			items["quota "+q.Entity.String()] = strings.Join(vs, ",")
		}
	}
	return Observed{SHA256: hashItems(items), Items: items}
}

func hashItems(items map[string]string) string {
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, items[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SavedPlan is `kctl plan --out FILE`: the plan with what it was computed
// against, carried out as is by `kctl apply FILE` once the cluster is
// checked to still match.
type SavedPlan struct {
	// Format is SavedPlanFormat (the "kctlPlan" key marks the document).
	Format  int       `json:"kctlPlan" yaml:"kctlPlan"`
	Created time.Time `json:"created" yaml:"created"`
	// File is the topics file, FileSHA256 the hash of its bytes, and
	// Environment the environment selected ("" for none).
	File        string `json:"file" yaml:"file"`
	FileSHA256  string `json:"fileSha256" yaml:"fileSha256"`
	Environment string `json:"environment,omitempty" yaml:"environment,omitempty"`
	// Brokers are the file's cluster.brokers (apply FILE connects as plan
	// did: flags, environment and context first).
	Brokers   []string `json:"brokers,omitempty" yaml:"brokers,omitempty"`
	ClusterID string   `json:"clusterId" yaml:"clusterId"`
	Scope     Scope    `json:"scope" yaml:"scope"`
	Observed  Observed `json:"observed" yaml:"observed"`
	Plan      *Plan    `json:"plan" yaml:"plan"`
	// AccessSections are the access sections the file declares (the
	// plan's "No changes" line counts only those).
	AccessSections []string `json:"accessSections,omitempty" yaml:"accessSections,omitempty"`
}

// NewSavedPlan returns the saved form of plan, made from file (whose
// bytes are src) against st.
func NewSavedPlan(file *topology.File, src []byte, st *State, plan *Plan, now time.Time) *SavedPlan {
	sum := sha256.Sum256(src)
	sc := ScopeOf(file, plan.Options)
	return &SavedPlan{
		Format: SavedPlanFormat, Created: now.UTC(), File: file.Path, FileSHA256: hex.EncodeToString(sum[:]),
		Environment: file.Env, Brokers: file.Cluster.Brokers, ClusterID: st.ClusterID,
		Scope: sc, Observed: Digest(st, sc), Plan: plan, AccessSections: plan.sections,
	}
}

// Write writes sp to path atomically (a temp file renamed), mode 0600.
func (sp *SavedPlan) Write(path string) error {
	b, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(b, '\n'), SavedPlanFileMode); err != nil {
		return fmt.Errorf("write the plan to %s: %w", path, err)
	}
	return nil
}

// IsSavedPlan reports whether b is a saved plan (a JSON object with a
// "kctlPlan" key) rather than a topics file; a damaged one counts, so that
// ReadSavedPlan says what is wrong with it.
func IsSavedPlan(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	var probe struct {
		Format *json.RawMessage `json:"kctlPlan"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return bytes.Contains(b, []byte(`"kctlPlan"`))
	}
	return probe.Format != nil
}

// ReadSavedPlan parses a saved plan read from path; an unsupported format
// or a damaged document is an error naming path.
func ReadSavedPlan(path string, b []byte) (*SavedPlan, error) {
	var sp SavedPlan
	if err := json.Unmarshal(b, &sp); err != nil {
		return nil, fmt.Errorf("%s is not a readable saved plan: %w; make it again with kctl plan --out %s", path, err, path)
	}
	if sp.Format != SavedPlanFormat {
		return nil, fmt.Errorf("%s is a saved plan of format %d, this kctl reads format %d: make it again with this kctl's plan --out", path, sp.Format, SavedPlanFormat)
	}
	if sp.Plan == nil || sp.Observed.Items == nil {
		return nil, fmt.Errorf("%s is not a complete saved plan (no plan or observed state): make it again with kctl plan --out %s", path, path)
	}
	if hashItems(sp.Observed.Items) != sp.Observed.SHA256 {
		return nil, fmt.Errorf("%s was edited after it was saved (its observed state does not match its hash): make it again with kctl plan --out %s", path, path)
	}
	sp.Plan.count()
	sp.Plan.sections = sp.AccessSections
	return &sp, nil
}

// StaleError refuses a saved plan whose cluster no longer matches what it
// was computed against: a different cluster, or changed items.
type StaleError struct {
	Path string
	// ClusterID is set when the cluster is another one (Now its ID).
	ClusterID, Now string
	// Changes say what changed, one per item, sorted.
	Changes []string
	// File and Environment are what the plan was made from, for the
	// command that plans again.
	File, Environment string
}

func (e *StaleError) Error() string {
	if e.ClusterID != "" {
		return fmt.Sprintf("%s was planned for cluster %q but this is cluster %q: check --brokers/--context; nothing was applied", e.Path, e.ClusterID, e.Now)
	}
	replan := "kctl plan"
	if e.File != "" {
		replan += " -f " + e.File
	}
	if e.Environment != "" {
		replan += " --env " + e.Environment
	}
	return fmt.Sprintf("%s is stale: the cluster changed since it was planned (%s); plan again (%s --out %s) and review the new plan; nothing was applied",
		e.Path, strings.Join(e.Changes, "; "), replan, e.Path)
}

// ErrStale matches every *StaleError (errors.Is).
var ErrStale = errors.New("saved plan is stale")

func (e *StaleError) Is(target error) bool { return target == ErrStale }

// Check returns a *StaleError when st (observed in sp.Scope) is not the
// cluster sp was planned against: another cluster ID, or any item of the
// digest changed, each named ("topic user.signed-up: retention.ms was
// 604800000 when planned, now 3600000").
func (sp *SavedPlan) Check(path string, st *State) error {
	if st.ClusterID != sp.ClusterID {
		return &StaleError{Path: path, ClusterID: sp.ClusterID, Now: st.ClusterID}
	}
	now := Digest(st, sp.Scope)
	if now.SHA256 == sp.Observed.SHA256 {
		return nil
	}
	var changes []string
	val := func(m map[string]string, k string) string {
		if v, ok := m[k]; ok {
			if v == "" {
				return `""`
			}
			return v
		}
		return "absent"
	}
	keys := map[string]bool{}
	for k := range sp.Observed.Items {
		keys[k] = true
	}
	for k := range now.Items {
		keys[k] = true
	}
	changed := func(k string) bool { return val(sp.Observed.Items, k) != val(now.Items, k) }
	for k := range keys {
		if !changed(k) {
			continue
		}
		// A topic that appeared or went says so once, not config by
		// config; a config's source only when its value is the same.
		if topic, _, ok := strings.Cut(k, ": "); ok && strings.HasPrefix(k, "topic ") && changed(topic) {
			continue
		}
		if base, ok := strings.CutSuffix(k, " source"); ok && strings.HasPrefix(k, "topic ") && changed(base) {
			continue
		}
		changes = append(changes, fmt.Sprintf("%s was %s when planned, now %s", k, val(sp.Observed.Items, k), val(now.Items, k)))
	}
	sort.Strings(changes)
	return &StaleError{Path: path, Changes: changes, File: sp.File, Environment: sp.Environment}
}

// ReadSavedPlanFile reads path and, when it is a saved plan, returns it;
// (nil, nil) for any other file (a topics file), and an error for an
// unreadable file or a damaged saved plan.
func ReadSavedPlanFile(path string) (*SavedPlan, error) {
	b, err := os.ReadFile(path)
	if err != nil || !IsSavedPlan(b) {
		return nil, nil // a topics file, or topology.Load reports it
	}
	return ReadSavedPlan(path, b)
}
