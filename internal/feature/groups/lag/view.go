package lag

import (
	"fmt"
	"time"
)

// Building the view from what the requests said: each group's lag per
// topic and partition, then the time lags, then the snapshot.

// partitionLags fills each group's topics with its partition lags and
// returns the records to read for time lag (key → end offset).
func partitionLags(groups map[string]*groupInfo, order, topics []string, meta map[string]*topicMeta, ends, starts listing) map[fetchKey]int64 {
	want := map[fetchKey]int64{}
	for _, n := range order {
		g, ok := groups[n]
		if !ok {
			continue
		}
		g.view.Topics = []Topic{}
		for _, t := range topics {
			if !g.involves(t) {
				continue
			}
			g.view.Topics = append(g.view.Topics, topicLag(g, t, meta[t], ends, starts, want))
		}
	}
	return want
}

// snapshot applies the time lags read and assembles the groups, in order.
func (c *collector) snapshot(groups map[string]*groupInfo, order []string, times map[fetchKey]fetchResult) *Snapshot {
	now := c.now()
	s := &Snapshot{Time: now, Groups: []Group{}}
	for _, n := range order {
		g, ok := groups[n]
		if !ok {
			continue
		}
		if len(c.o.Topics) > 0 && len(c.o.Groups) == 0 && len(g.view.Topics) == 0 {
			continue // --topic: only the groups that consume it
		}
		for i := range g.view.Topics {
			t := &g.view.Topics[i]
			for j := range t.Partitions {
				applyTime(t.Topic, &t.Partitions[j], times, now, c.o.NoTimeLag)
			}
		}
		g.view.finish()
		if IsReplayProgress(n, g.commits) {
			g.view.Kctl = KctlReplayProgress
		}
		s.Groups = append(s.Groups, g.view)
	}
	s.Warnings = c.warn
	return s
}

// topicLag computes a group's lag on one topic and records, in want, the
// records to read for time lag (key → end offset).
func topicLag(g *groupInfo, t string, m *topicMeta, ends, starts listing, want map[fetchKey]int64) Topic {
	tv := Topic{Topic: t, Partitions: []Partition{}}
	if !m.exists {
		// A deleted topic (or one that cannot be described): show what
		// the group still holds for it, with no lag.
		tv.Deleted = m.err == nil
		msg := ""
		if m.err != nil {
			msg = fmt.Sprintf("metadata of topic %q: %v", t, m.err)
		}
		parts := map[int32]bool{}
		for p := range g.commits[t] {
			parts[p] = true
		}
		for k := range g.owners {
			if k.t == t {
				parts[k.p] = true
			}
		}
		for p := range parts {
			pv := Partition{Partition: p, Committed: -1, End: -1, Error: msg, Owner: g.owners[tp{t, p}]}
			if r, ok := g.commits[t][p]; ok && r.Err == nil && r.At >= 0 {
				pv.Committed = r.At
			}
			tv.Partitions = append(tv.Partitions, pv)
		}
		return tv
	}
	for p := range m.partitions {
		pv := Partition{Partition: p, Committed: -1, End: -1, Owner: g.owners[tp{t, p}]}
		tv.Partitions = append(tv.Partitions, pv)
		last := &tv.Partitions[len(tv.Partitions)-1]
		r, committed := g.commits[t][p]
		if committed && r.Err != nil {
			last.Error = fmt.Sprintf("committed offset: %v", r.Err)
			continue
		}
		if committed && r.At >= 0 {
			last.Committed = r.At
		} else {
			last.NoCommit = true
		}
		end, err := ends.lookup(t, p)
		if err != nil {
			last.Error = fmt.Sprintf("end offset: %v", err)
			continue
		}
		last.End = end
		from := last.Committed
		if last.NoCommit {
			st, err := starts.lookup(t, p)
			if err != nil {
				last.Error = fmt.Sprintf("log start offset: %v", err)
				continue
			}
			last.LogStart = new(st)
			from = st
		}
		if hw, ok := ends.hwm[tp{t, p}]; ok && hw > end && from >= end {
			last.StalledLSO = new(end)
		}
		lag := end - from
		if lag < 0 {
			lag = 0
			last.Clamped = !last.NoCommit
		}
		last.Lag = new(lag)
		if lag > 0 {
			want[fetchKey{t, p, from}] = end
		}
	}
	return tv
}

// applyTime fills a partition's time lag from the records read.
func applyTime(topic string, p *Partition, times map[fetchKey]fetchResult, now time.Time, skipped bool) {
	if p.Lag == nil {
		return
	}
	if *p.Lag == 0 {
		p.TimeLagMs = new(int64(0))
		return
	}
	if skipped {
		return
	}
	from := p.Committed
	if p.NoCommit && p.LogStart != nil {
		from = *p.LogStart
	}
	r, ok := times[fetchKey{topic, p.Partition, from}]
	switch {
	case !ok:
		p.Error = fmt.Sprintf("time lag: record at offset %d not read", from)
	case r.err != nil:
		p.Error = fmt.Sprintf("time lag: record at offset %d: %v", from, r.err)
	case r.found:
		ms := now.Sub(r.ts).Milliseconds()
		if ms < 0 {
			ms = 0 // the producer's clock is ahead of ours
		}
		p.TimeLagMs = new(ms)
		p.RecordTime = new(r.ts.UTC())
	case r.markersOnly:
		p.Lag = new(int64(0))
		p.MarkersOnly = true
		p.TimeLagMs = new(int64(0))
	default:
		p.Error = fmt.Sprintf("time lag: no record found at offset %d", from)
	}
}
