// Package topology reads topics.yaml: the declared topics of a Kafka
// cluster (docs/design.md §3). It decodes strictly from yaml.v3 nodes so every
// problem carries file:line:col, merges defaults into topics, normalises
// durations and sizes to the broker's integer strings, and checks Kafka's
// rules offline (names, counts, known topic configs with their types,
// enums and ranges). It imports no Kafka package: it is pure data.
package topology

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
)

// File is a parsed, validated and normalised topics.yaml.
type File struct {
	Path            string   `json:"file" yaml:"file"`
	Cluster         Cluster  `json:"cluster" yaml:"cluster"`
	ManagedPrefixes []string `json:"managedPrefixes" yaml:"managedPrefixes"`
	Defaults        Defaults `json:"defaults" yaml:"defaults"`
	// Limits are the file's safety ceilings; zero fields take the defaults.
	Limits Limits `json:"limits" yaml:"limits"`
	// Topics are in file order, each with the defaults merged in.
	Topics []Topic `json:"topics" yaml:"topics"`
	// Environments are the file's environments: section by name (see
	// Select); nil when it has none.
	Environments map[string]*Environment `json:"environments,omitempty" yaml:"environments,omitempty"`
	// Env is the environment merged in by Select ("" for the base).
	Env string `json:"environment,omitempty" yaml:"environment,omitempty"`
	// Access is the users, acls, quotas and managedPrincipals sections.
	Access `yaml:",inline"`
	// Brokers is the brokers: section (dynamic broker configs); nil when
	// the file has none, and then kctl leaves broker configs alone.
	Brokers *Brokers `json:"brokers,omitempty" yaml:"brokers,omitempty"`
}

// Cluster is the file's optional cluster section.
type Cluster struct {
	// ID, when set, makes plan and apply refuse a cluster with another ID.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
	// Brokers is the default bootstrap list (the second-to-last fallback).
	Brokers []string `json:"brokers,omitempty" yaml:"brokers,omitempty"`
}

// The default safety ceilings. A topic of more partitions, or a cluster of
// more partition replicas per broker, is refused before anything is sent:
// kfake and real brokers alike run out of memory or stop answering long
// before Kafka's own int32 limit (Kafka's operations guidance keeps a
// broker to about 4,000 partition replicas).
const (
	DefaultMaxPartitions       = 10000
	DefaultPartitionsPerBroker = 4000
)

// Limits are the file's `limits:` section.
type Limits struct {
	// MaxPartitions is the per-topic partition ceiling (default 10,000).
	MaxPartitions int32 `json:"maxPartitions,omitempty" yaml:"maxPartitions,omitempty"`
	// PartitionsPerBroker is the ceiling of partition replicas per broker
	// after a plan (default 4,000).
	PartitionsPerBroker int32 `json:"partitionsPerBroker,omitempty" yaml:"partitionsPerBroker,omitempty"`
}

// MaxPartitionsOr returns the per-topic ceiling: flag when positive (a
// --max-partitions given on the command line), else the file's, else the
// default.
func (l Limits) MaxPartitionsOr(flag int32) int32 {
	switch {
	case flag > 0:
		return flag
	case l.MaxPartitions > 0:
		return l.MaxPartitions
	}
	return DefaultMaxPartitions
}

// PerBroker returns the per-broker replica ceiling: the file's or the default.
func (l Limits) PerBroker() int32 {
	if l.PartitionsPerBroker > 0 {
		return l.PartitionsPerBroker
	}
	return DefaultPartitionsPerBroker
}

// WithLimits returns diags plus an error for each topic of f whose
// partitions exceed the per-topic ceiling (f.Limits.MaxPartitionsOr(flag)),
// at the topic's name, sorted by position. f nil: diags as they are.
func WithLimits(f *File, diags Diagnostics, flag int32) Diagnostics {
	if f == nil {
		return diags
	}
	extra := append(f.CheckLimits(flag), f.checkEnvironmentLimits(flag)...)
	if len(extra) == 0 {
		return diags
	}
	out := append(append(Diagnostics{}, diags...), extra...)
	out.sort()
	return out
}

// CheckLimits returns an error for each topic whose partitions exceed the
// per-topic ceiling (MaxPartitionsOr(flag)), at the topic's name. It
// returns nil when every topic is within it.
func (f *File) CheckLimits(flag int32) Diagnostics {
	ceiling := f.Limits.MaxPartitionsOr(flag)
	var out Diagnostics
	for _, t := range f.Topics {
		if t.Partitions > ceiling {
			out = append(out, Diagnostic{SeverityError, t.Pos, fmt.Sprintf(
				"topic %q: %d partitions is above the ceiling of %d per topic: a topic this large can take the cluster down; declare fewer, or raise the ceiling with limits.maxPartitions (or --max-partitions) if it really needs them",
				t.Name, t.Partitions, ceiling)})
		}
	}
	return out
}

// Defaults are merged into every topic; a topic's own fields win.
type Defaults struct {
	Partitions        int32             `json:"partitions,omitempty" yaml:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replicationFactor,omitempty" yaml:"replicationFactor,omitempty"`
	Config            map[string]string `json:"config,omitempty" yaml:"config,omitempty"`
}

// Topic is one declared topic after defaults are merged. Config values are
// normalised to what a broker reports ("7d" → "604800000", "1GiB" →
// "1073741824", lists comma-joined).
type Topic struct {
	Name              string            `json:"name" yaml:"name"`
	Partitions        int32             `json:"partitions" yaml:"partitions"`
	ReplicationFactor int16             `json:"replicationFactor" yaml:"replicationFactor"`
	Config            map[string]string `json:"config" yaml:"config"`
	// Pos is where the topic's name is written.
	Pos Pos `json:"-" yaml:"-"`
	// Origin says, for each field an environment set ("partitions",
	// "replicationFactor", "config.KEY"), which part of which environment
	// set it and where ("environment local's defaults at topics.yaml:3:5");
	// nil for a topic as the base declares it.
	Origin map[string]string `json:"-" yaml:"-"`
}

// Topic returns the declared topic with name, if any.
func (f *File) Topic(name string) (Topic, bool) {
	for _, t := range f.Topics {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// Managed reports whether name falls under one of the managedPrefixes.
func (f *File) Managed(name string) bool {
	for _, p := range f.ManagedPrefixes {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// SortedConfigNames returns the topic's config names in order.
func (t Topic) SortedConfigNames() []string {
	names := make([]string, 0, len(t.Config))
	for k := range t.Config {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Severity says whether a diagnostic stops the file being used.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Pos is a position in a file; Line and Col start at 1.
type Pos struct {
	File string `json:"file" yaml:"file"`
	Line int    `json:"line" yaml:"line"`
	Col  int    `json:"col" yaml:"col"`
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Severity Severity `json:"severity" yaml:"severity"`
	Pos      Pos      `json:"pos" yaml:"pos"`
	Message  string   `json:"message" yaml:"message"`
}

// String formats d as compilers do: "topics.yaml:3:5: error: message".
func (d Diagnostic) String() string { return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Message) }

// Diagnostics are all problems found in a file, in file order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool { return len(ds.Errors()) > 0 }

// Errors returns the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(SeverityError) }

// Warnings returns the warning diagnostics.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(SeverityWarning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Err returns nil when there are no errors, else an *InvalidError carrying
// every error diagnostic.
func (ds Diagnostics) Err() error {
	errs := ds.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &InvalidError{Diagnostics: errs}
}

func (ds Diagnostics) sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// InvalidError says a file has errors; it lists them one per line.
type InvalidError struct{ Diagnostics Diagnostics }

func (e *InvalidError) Error() string {
	var b strings.Builder
	file := ""
	if len(e.Diagnostics) > 0 {
		file = e.Diagnostics[0].Pos.File
	}
	fmt.Fprintf(&b, "%s has %s", file, human.Plural(len(e.Diagnostics), "error"))
	for _, d := range e.Diagnostics {
		b.WriteString("\n  " + d.String())
	}
	return b.String()
}

// ErrInvalid matches any *InvalidError with errors.Is.
var ErrInvalid = errors.New("invalid topics file")

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }
