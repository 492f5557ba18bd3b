package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/feature/inspect"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/ui/top"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
)

const defaultTopInterval = 2 * time.Second

// TopOptions is `kctl top`.
type TopOptions struct {
	f        *Factory
	Interval time.Duration
	Once     bool
	View     top.View
}

// NewCmdTop builds `kctl top`.
func NewCmdTop(f *Factory, runF func(context.Context, *TopOptions) error) *cobra.Command {
	opts := &TopOptions{f: f, Interval: defaultTopInterval}
	var viewName string
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Live full-screen view of brokers, health, topics' produce rates and groups' lag and status",
		Long: `A full-screen view refreshed every --interval, for watching a cluster during an incident:
1 Overview (brokers up, controller, rack, partitions led and leader skew; under-replicated,
under-min-ISR and offline partitions; reassignments with their progress; the produce rate),
2 Topics (partitions, RF, size, produce rate with a sparkline, under-replicated partitions),
3 Groups (state, members, lag, time lag, a lag sparkline and kctl lag's status OK, WARN,
STALL or STOP, worst first; Enter opens a group's partitions), 4 Reassignments.

The data comes from the same views as kctl describe and kctl lag. A cluster that stops
answering shows a banner over the last data and is retried every interval.
Keys: Tab or 1-4 switch views, Enter/Esc open and close a group, s sorts, / filters by
name, p pauses, ? shows help, q or Ctrl-C quits.

It needs a terminal. For scripts: --once prints one frame of --view as text and exits
(rates need two samples and show as -), or use kctl describe cluster -o json and
kctl lag -o json.`,
		Example: `  kctl top
  kctl top --interval 5s --view groups
  kctl top --once --view topics`,
		Args:        noArgs,
		Annotations: longRunning,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Interval < minSampleInterval {
				return &FlagError{Err: fmt.Errorf("--interval %s is too short: refresh at most every %s, e.g. --interval 2s", opts.Interval, minSampleInterval)}
			}
			if format, err := f.Format(); err != nil {
				return &FlagError{Err: err}
			} else if format != view.Text {
				return &FlagError{Err: fmt.Errorf("kctl top draws text only (-o %s): for %s use kctl describe cluster -o %s or kctl lag -o %s", format, format, format, format)}
			}
			v, err := top.ParseView(viewName)
			if err != nil {
				return &FlagError{Err: fmt.Errorf("--view: %w", err)}
			}
			opts.View = v
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTop(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Var(durationValue{&opts.Interval}, "interval", "refresh every `DUR` (at least 100ms; default 2s)")
	fl.BoolVar(&opts.Once, "once", false, "print one frame of --view as text and exit (no terminal needed)")
	fl.StringVar(&viewName, "view", "overview", "the view to start with (or print with --once): overview, topics, groups, reassignments")
	return cmd
}

func runTop(ctx context.Context, o *TopOptions) error {
	f := o.f
	if o.Once {
		return topOnce(ctx, o)
	}
	if !f.IsTerminal(f.IO.Out) || !f.IsTerminal(f.IO.In) {
		return errors.New("kctl top needs a terminal: for a script use kctl top --once, kctl describe cluster -o json or kctl lag -o json")
	}
	s, err := f.Settings(nil, "")
	if err != nil {
		return err
	}
	// No logger: a log line would tear the full-screen view. Nor a ping:
	// an unreachable cluster shows as a banner and is retried.
	cl, err := kafka.NewClient(s, nil)
	if err != nil {
		return err
	}
	defer cl.Close()
	col := newTopCollector(cl, s.Timeout, o.Interval, f.Now)
	col.diagnose = func(ctx context.Context) error {
		_, err := kafka.Preflight(ctx, cl, s)
		return err
	}

	out := f.IO.Out
	if so, ok := out.(*Stdout); ok {
		out = so.File()
	}
	m := top.New(top.Options{Interval: o.Interval, View: o.View, Color: f.Styles().Color(), Context: brokerLabel(s.Brokers)})
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// SIGINT and SIGTERM cancel ctx (Main), which ends the program; its own
	// handler would race with that and can deadlock (bubbletea v1.3.4
	// sends to a channel nobody reads any more), so it is off.
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(pctx), tea.WithInput(f.IO.In), tea.WithOutput(out), tea.WithoutSignalHandler())

	// The collector is not waited for at the end: a request already sent
	// waits for its answer past the context's end (kgo), and a hung broker
	// must not hold the exit. After the program ends, Send does nothing.
	panicked := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				panicked <- fmt.Errorf("kctl top: collector panicked: %v", r)
				p.Quit() // Run restores the terminal
			}
		}()
		col.loop(pctx, func(s top.Snapshot) { p.Send(top.SnapshotMsg(s)) })
	}()
	_, err = p.Run()
	cancel()
	var collectPanic error
	select {
	case collectPanic = <-panicked:
	default:
	}
	switch {
	case collectPanic != nil:
		return collectPanic
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, tea.ErrInterrupted): // SIGINT, not the Ctrl-C key
		return errInterrupted
	case err != nil:
		return fmt.Errorf("kctl top: %w", err)
	}
	return nil
}

// topOnce collects once and prints the frame of --view as text.
func topOnce(ctx context.Context, o *TopOptions) error {
	f := o.f
	c, err := f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	col := newTopCollector(c.Client, c.Settings.Timeout, o.Interval, f.Now)
	got := make(chan top.Snapshot, 1)
	go func() { got <- col.collect(ctx) }()
	var s top.Snapshot
	select {
	case s = <-got:
	case <-ctx.Done(): // not held by a request a hung broker never answers
		return ctx.Err()
	}
	if s.Err != "" {
		return errors.New(s.Err)
	}
	m := top.New(top.Options{View: o.View, Color: f.Styles().Color(), Context: brokerLabel(c.Settings.Brokers), Static: true})
	width := 0
	if w, _, ok := termSize(f.IO.Out); ok {
		width = w
	}
	mm, _ := m.Update(tea.WindowSizeMsg{Width: width})
	mm, _ = mm.Update(top.SnapshotMsg(s))
	lines := mm.(top.Model).Lines()
	lines = lines[:len(lines)-1] // no key footer: nothing to press
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err = io.WriteString(f.IO.Out, strings.Join(lines, "\n")+"\n")
	return err
}

// topCollector observes the cluster for kctl top, with the views of
// kctl describe (inspect) and kctl lag (lag, its History for the status),
// and the differences between two observations for the rates.
type topCollector struct {
	cl       *kgo.Client
	adm      *kadm.Client
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time
	hist     *lag.History

	prevAt      time.Time
	prevEnds    map[provision.TopicPartition]int64
	prevCommits map[string]map[provision.TopicPartition]int64
	seen        map[int32]string // every broker seen, its host
	// diagnose, when set, checks the connection after a failed refresh
	// (kafka.Preflight), to name the cause as every command does.
	diagnose func(context.Context) error
}

func newTopCollector(cl *kgo.Client, timeout, interval time.Duration, now func() time.Time) *topCollector {
	if now == nil {
		now = time.Now
	}
	return &topCollector{
		cl: cl, adm: kadm.NewClient(cl), timeout: timeout, interval: interval, now: now,
		hist: lag.NewHistory(defaultWindowIntervals * interval), seen: map[int32]string{},
	}
}

// loop collects every interval (measured from the start of the previous
// collection; a slow one is followed at once, never in a burst) and hands
// each snapshot to send, until ctx ends. Between refreshes it only waits.
func (c *topCollector) loop(ctx context.Context, send func(top.Snapshot)) {
	next := time.Now()
	for {
		s := c.collect(ctx)
		if ctx.Err() != nil {
			return
		}
		send(s)
		next = next.Add(c.interval)
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if sleepUntil(ctx, next) != nil {
			return
		}
	}
}

// collect issues its requests concurrently, each bounded by the timeout,
// and builds one snapshot. When the cluster cannot be read at all it
// returns a snapshot with only Time and Err.
func (c *topCollector) collect(ctx context.Context) top.Snapshot {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var (
		wg         sync.WaitGroup
		cv         inspect.ClusterView
		tv         inspect.TopicsView
		cerr, terr error
		ls         *lag.Snapshot
		lerr       error
		ends       kadm.ListedOffsets
		eerr       error
		rs         []provision.Reassignment
		rerr       error
		sizes      map[provision.TopicPartition]int64
		replicas   map[provision.BrokerPartition]int64
		serr       error
	)
	wg.Go(func() { cv, cerr = inspect.DescribeCluster(cctx, c.cl) })
	wg.Go(func() { tv, terr = inspect.DescribeTopics(cctx, c.cl, nil, inspect.Filter{All: true}) })
	wg.Go(func() { ls, lerr = lag.Collect(cctx, c.cl, lag.Options{Now: c.now}) })
	wg.Go(func() { ends, eerr = c.adm.ListEndOffsets(cctx) })
	wg.Go(func() { rs, rerr = provision.ListReassignments(cctx, c.cl) })
	wg.Go(func() { sizes, replicas, serr = provision.LogSizes(cctx, c.cl) })
	wg.Wait()
	now := c.now()
	s := top.Snapshot{Time: now}
	var ie *inspect.IncompleteError
	if cerr != nil && !errors.As(cerr, &ie) {
		s.Err = c.why(ctx, cctx, connectionError(cerr))
		return s
	}
	if terr != nil && !errors.As(terr, &ie) {
		s.Err = c.why(ctx, cctx, connectionError(terr))
		return s
	}
	s.Warnings = append(s.Warnings, cv.Warnings...)
	s.ClusterID, s.Controller = cv.ClusterID, cv.Controller
	s.Topics, s.Partitions = cv.Topics+cv.InternalTopics, cv.Partitions
	s.UnderReplicated, s.UnderMinISR, s.Offline = cv.Health.UnderReplicated, cv.Health.UnderMinISR, cv.Health.Offline

	// Brokers: those in the metadata are up; one seen before, or named in
	// a replica set, and missing now is down.
	leads := map[int32]int{}
	up := map[int32]inspect.Broker{}
	for _, b := range cv.Brokers {
		up[b.ID] = b
		c.seen[b.ID] = fmt.Sprintf("%s:%d", b.Host, b.Port)
	}
	for _, t := range tv.Topics {
		for _, p := range t.PartitionDetails {
			if p.Leader >= 0 {
				leads[p.Leader]++
			}
			for _, r := range p.Replicas {
				if _, ok := c.seen[r]; !ok {
					c.seen[r] = ""
				}
			}
		}
	}
	for id, host := range c.seen {
		b, ok := up[id]
		s.Brokers = append(s.Brokers, top.Broker{ID: id, Host: host, Rack: b.Rack, Controller: b.Controller, Up: ok, Leads: leads[id]})
	}
	sort.Slice(s.Brokers, func(i, j int) bool { return s.Brokers[i].ID < s.Brokers[j].ID })

	// Produce rates from the end offsets' growth since the last refresh.
	dt := now.Sub(c.prevAt).Seconds()
	curEnds := map[provision.TopicPartition]int64{}
	topicRate := map[string]float64{}
	rateKnown := eerr == nil && c.prevEnds != nil && dt > 0
	if eerr != nil {
		s.Warnings = append(s.Warnings, fmt.Sprintf("end offsets: %v (rates unknown)", eerr))
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		k := provision.TopicPartition{Topic: o.Topic, Partition: o.Partition}
		curEnds[k] = o.Offset
		if prev, ok := c.prevEnds[k]; ok && rateKnown && o.Offset >= prev {
			topicRate[o.Topic] += float64(o.Offset-prev) / dt
		}
	})
	if serr != nil {
		s.LogDirsErr = serr.Error()
	}
	for _, t := range tv.Topics {
		row := top.Topic{Name: t.Name, Partitions: t.Partitions, RF: t.ReplicationFactor, Size: -1, Rate: topicRate[t.Name], RateKnown: rateKnown}
		if serr == nil {
			row.Size = 0
			for _, p := range t.PartitionDetails {
				row.Size += sizes[provision.TopicPartition{Topic: t.Name, Partition: p.Partition}]
			}
		}
		for _, p := range t.PartitionDetails {
			if p.UnderReplicated {
				row.UnderReplicated++
			}
			if p.Leaderless || len(p.OfflineReplicas) > 0 {
				row.Offline++
			}
		}
		s.ProduceRate += row.Rate
		if t.Internal {
			s.TopicsInternalHidden++
			continue
		}
		s.TopicRows = append(s.TopicRows, row)
	}
	s.RateKnown = rateKnown

	if rerr != nil {
		s.ReassignmentsErr = rerr.Error()
	} else {
		if len(rs) > 0 && serr == nil {
			provision.ReassignmentProgress(rs, sizes, replicas)
		}
		for _, r := range rs {
			s.Reassignments = append(s.Reassignments, top.Reassignment{Topic: r.Topic, Partition: r.Partition, Adding: r.Adding, Removing: r.Removing, Progress: r.Progress})
		}
	}

	curCommits := map[string]map[provision.TopicPartition]int64{}
	if lerr != nil && ls == nil {
		s.GroupsErr = lerr.Error()
	} else {
		if lerr != nil {
			s.Warnings = append(s.Warnings, fmt.Sprintf("consumer lag: %v", lerr))
		}
		s.Warnings = append(s.Warnings, ls.Warnings...)
		c.hist.Add(ls)
		for _, g := range ls.Groups {
			s.Groups = append(s.Groups, c.group(g, dt, curCommits))
		}
	}
	c.prevAt, c.prevEnds, c.prevCommits = now, curEnds, curCommits
	return s
}

// why names a failed observation: as the connection check of every
// command says it (refused credentials, each seed's cause) when diagnose
// finds the cluster unusable, otherwise the error, with the timeout when it
// ran out.
func (c *topCollector) why(ctx, cctx context.Context, err error) string {
	if c.diagnose != nil && ctx.Err() == nil {
		if perr := c.diagnose(ctx); perr != nil {
			return perr.Error()
		}
	}
	var ae *kafka.AuthError
	if errors.Is(cctx.Err(), context.DeadlineExceeded) && !errors.As(err, &ae) {
		return fmt.Sprintf("no answer within --timeout %s: %v", c.timeout, err)
	}
	return err.Error()
}

// group turns one group of kctl lag's snapshot into a row, with each
// partition's consumption rate since the last refresh.
func (c *topCollector) group(g lag.Group, dt float64, cur map[string]map[provision.TopicPartition]int64) top.Group {
	row := top.Group{Name: g.Group, State: g.State, Members: len(g.Members), Lag: g.Lag, TimeLag: time.Duration(g.TimeLagMs) * time.Millisecond, Error: g.Error, Kctl: g.Kctl}
	if g.Status != nil {
		row.Status, row.Reasons = string(g.Status.Status), g.Status.Reasons
		row.Rank = map[lag.Status]int{lag.StatusWarn: 1, lag.StatusStall: 2, lag.StatusStop: 3}[g.Status.Status]
	}
	prev := c.prevCommits[g.Group]
	cur[g.Group] = map[provision.TopicPartition]int64{}
	for _, t := range g.Topics {
		for _, p := range t.Partitions {
			k := provision.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			gp := top.GroupPartition{Topic: t.Topic, Partition: p.Partition, Committed: p.Committed, End: p.End, Lag: p.LagOr(-1), Error: p.Error}
			if p.Owner != nil {
				gp.Owner = view.Printable(ownerName(p.Owner))
			}
			if p.Committed >= 0 {
				cur[g.Group][k] = p.Committed
				if before, ok := prev[k]; ok && dt > 0 && p.Committed >= before {
					gp.Rate, gp.RateKnown = float64(p.Committed-before)/dt, true
				}
			}
			row.Partitions = append(row.Partitions, gp)
		}
	}
	return row
}

func ownerName(o *lag.Owner) string {
	id := o.ClientID
	if id == "" {
		id = "-"
	}
	if o.Host == "" {
		return id
	}
	return id + "@" + strings.TrimPrefix(o.Host, "/")
}

// brokerLabel names the cluster in the header: its first seed broker.
func brokerLabel(bs []string) string {
	switch len(bs) {
	case 0:
		return ""
	case 1:
		return bs[0]
	}
	return bs[0] + ",…"
}
