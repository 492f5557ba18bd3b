package smoke

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kctl/kctl/internal/platform/human"

	"github.com/kctl/kctl/internal/platform/view"
)

// Step is one check of the smoke run.
type Step struct {
	Name     string        `json:"name" yaml:"name"`
	Passed   bool          `json:"passed" yaml:"passed"`
	Skipped  bool          `json:"skipped,omitempty" yaml:"skipped,omitempty"`
	Duration time.Duration `json:"-" yaml:"-"`
	Millis   float64       `json:"durationMs" yaml:"durationMs"`
	// Detail says what was seen when it passed, or what was expected and what
	// was seen when it failed.
	Detail string `json:"detail,omitempty" yaml:"detail,omitempty"`
}

// Latency summarises end-to-end latencies (sign-up accepted → email logged).
type Latency struct {
	P50Ms float64 `json:"p50Ms" yaml:"p50Ms"`
	P99Ms float64 `json:"p99Ms" yaml:"p99Ms"`
	MaxMs float64 `json:"maxMs" yaml:"maxMs"`
	N     int     `json:"samples" yaml:"samples"`
}

// Report is the result of a smoke run: what `-o json` prints.
type Report struct {
	Passed   bool     `json:"passed" yaml:"passed"`
	Brokers  []string `json:"brokers" yaml:"brokers"`
	Embedded bool     `json:"embedded" yaml:"embedded"`
	Count    int      `json:"count" yaml:"count"`
	// SignedUp is how many sign-ups were answered 201.
	SignedUp int     `json:"signedUp" yaml:"signedUp"`
	Steps    []Step  `json:"steps" yaml:"steps"`
	Latency  Latency `json:"latency" yaml:"latency"`
	// Publish is sign-up answered → event on the topic (the outbox relay);
	// Deliver is event on the topic → email logged (the email service).
	Publish    Latency   `json:"publishLatency" yaml:"publishLatency"`
	Deliver    Latency   `json:"deliverLatency" yaml:"deliverLatency"`
	Lost       int       `json:"lost" yaml:"lost"`
	Duplicated int       `json:"duplicated" yaml:"duplicated"`
	TotalMs    float64   `json:"totalMs" yaml:"totalMs"`
	Started    time.Time `json:"started" yaml:"started"`
}

// Failed returns the failed steps.
func (r *Report) Failed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if !s.Passed && !s.Skipped {
			out = append(out, s)
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// StepLine formats one step as the text report prints it.
func StepLine(s Step, st view.Styles) string {
	mark := st.OK("✓")
	switch {
	case s.Skipped:
		mark = st.Dim("-")
	case !s.Passed:
		mark = st.Bad("✗")
	}
	dur := human.Elapsed(s.Duration)
	if s.Skipped {
		dur = ""
	}
	if n := utf8.RuneCountInString(dur); n < 8 {
		dur = strings.Repeat(" ", 8-n) + dur
	}
	line := fmt.Sprintf("%s %-34s %s", mark, s.Name, dur)
	if s.Detail != "" {
		line += "  " + s.Detail
	}
	return strings.TrimRight(line, " ")
}

// WriteText prints the summary (the steps are printed live as they finish).
func (r *Report) WriteText(w io.Writer, st view.Styles) error {
	for _, s := range r.Steps {
		fmt.Fprintln(w, StepLine(s, st))
	}
	r.WriteSummary(w, st)
	return nil
}

// WriteSummary prints the latency, loss and verdict lines.
func (r *Report) WriteSummary(w io.Writer, st view.Styles) {
	fmt.Fprintln(w)
	if r.Latency.N > 0 {
		fmt.Fprintf(w, "end-to-end latency (sign-up accepted → email logged), %d samples: p50 %.1fms  p99 %.1fms  max %.1fms\n",
			r.Latency.N, r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.MaxMs)
		if r.Publish.N > 0 {
			fmt.Fprintf(w, "  publish (accepted → event on topic) p50 %.1fms p99 %.1fms; deliver (event → email logged) p50 %.1fms p99 %.1fms\n",
				r.Publish.P50Ms, r.Publish.P99Ms, r.Deliver.P50Ms, r.Deliver.P99Ms)
		}
	}
	fmt.Fprintf(w, "sign-ups %d/%d accepted, lost %d, duplicated %d, total %.2fs\n", r.SignedUp, r.Count, r.Lost, r.Duplicated, r.TotalMs/1000)
	failed := r.Failed()
	skipped := 0
	for _, s := range r.Steps {
		if s.Skipped {
			skipped++
		}
	}
	if len(failed) == 0 {
		fmt.Fprintln(w, st.OK(fmt.Sprintf("PASS: all %d checks passed", len(r.Steps))))
		return
	}
	names := make([]string, len(failed))
	for i, s := range failed {
		names[i] = s.Name
	}
	also := ""
	if skipped > 0 {
		also = fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(w, st.Bad(fmt.Sprintf("FAIL: %d of %d checks failed%s: %s", len(failed), len(r.Steps), also, strings.Join(names, ", "))))
}

// percentile returns the p-th percentile (0..100) of sorted ds (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

// Summarize computes p50/p99/max of ds.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return Latency{P50Ms: ms(percentile(s, 50)), P99Ms: ms(percentile(s, 99)), MaxMs: ms(s[len(s)-1]), N: len(s)}
}

// JUnit XML, as CI systems (GitHub Actions reporters, GitLab, Jenkins) read it.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes r as a JUnit XML report: one testcase per step.
func (r *Report) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "kctl smoke", Tests: len(r.Steps), Time: fmt.Sprintf("%.3f", r.TotalMs/1000), Timestamp: r.Started.UTC().Format(time.RFC3339)}
	for _, st := range r.Steps {
		c := junitCase{Name: st.Name, Classname: "kctl.smoke", Time: fmt.Sprintf("%.3f", st.Millis/1000)}
		switch {
		case st.Skipped:
			s.Skipped++
			c.Skipped = &struct{}{}
		case !st.Passed:
			s.Failures++
			c.Failure = &junitFailure{Message: st.Detail, Type: "SmokeCheckFailed", Body: st.Detail}
		default:
			c.SystemOut = st.Detail
		}
		s.Cases = append(s.Cases, c)
	}
	var sum strings.Builder
	r.WriteSummary(&sum, view.Plain{})
	s.SystemOut = strings.TrimSpace(sum.String())
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// NotRun is the report of a run that could not start: of steps (AllSteps,
// or StepsFor the topics file), step failed with err before anything ran,
// and every other step is skipped.
func NotRun(steps []string, step string, err error, count int, embedded bool) *Report {
	r := &Report{Count: count, Embedded: embedded, Started: time.Now(), Brokers: []string{}}
	for _, name := range steps {
		st := Step{Name: name, Skipped: true, Detail: "skipped: not run"}
		if name == step {
			st = Step{Name: name, Detail: err.Error()}
		}
		r.Steps = append(r.Steps, st)
	}
	return r
}
