package dlt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Progress is what a replay group has done on one dead-letter partition:
// every record below Next is done (replayed, or skipped for good because
// it names no original topic), and so is every offset in Done (records
// above Next replayed by a filtered run, past records the filters left for
// later). It is stored as the group's committed offset (Next) and the
// commit's metadata (Done), so a filtered-out record stays replayable by a
// later run while a replayed one is never replayed again.
type Progress struct {
	Next int64
	Done map[int64]bool
}

// progressPrefix starts the commit metadata of a replay group.
const progressPrefix = "kctl-dlt-replay/v1 done="

// maxProgressMetadata bounds the commit metadata: brokers refuse more than
// offset.metadata.max.bytes (4096 by default).
const maxProgressMetadata = 4000

// IsDone reports whether the record at offset was already handled.
func (p Progress) IsDone(offset int64) bool { return offset < p.Next || p.Done[offset] }

// Mark records offset as done and advances Next over the offsets done
// contiguously.
func (p *Progress) Mark(offset int64) {
	if offset < p.Next {
		return
	}
	if p.Done == nil {
		p.Done = map[int64]bool{}
	}
	p.Done[offset] = true
	for p.Done[p.Next] {
		delete(p.Done, p.Next)
		p.Next++
	}
}

// Merge adds what o has done to p: the union of both.
func (p *Progress) Merge(o Progress) {
	if o.Next > p.Next {
		for off := range p.Done {
			if off < o.Next {
				delete(p.Done, off)
			}
		}
		p.Next = o.Next
	}
	for off := range o.Done {
		p.Mark(off)
	}
	if p.Done == nil {
		p.Done = map[int64]bool{}
	}
	for p.Done[p.Next] {
		delete(p.Done, p.Next)
		p.Next++
	}
}

// Floor moves Next up to the log start: records below it are gone.
func (p *Progress) Floor(logStart int64) {
	if p.Next >= logStart {
		return
	}
	p.Next = logStart
	for o := range p.Done {
		if o < logStart {
			delete(p.Done, o)
		}
	}
	for p.Done[p.Next] {
		delete(p.Done, p.Next)
		p.Next++
	}
}

// Metadata encodes Done as ranges ("kctl-dlt-replay/v1 done=18-20,25").
func (p Progress) Metadata() string {
	offs := make([]int64, 0, len(p.Done))
	for o := range p.Done {
		if o >= p.Next {
			offs = append(offs, o)
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	var b strings.Builder
	b.WriteString(progressPrefix)
	for i := 0; i < len(offs); {
		j := i
		for j+1 < len(offs) && offs[j+1] == offs[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(offs[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(offs[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// ParseProgress decodes a committed offset and its metadata. Metadata that
// is not a replay group's (empty, or written by another tool) means no
// offsets done above next. It returns an error for metadata with the
// prefix that does not parse: reading it as empty could replay records
// twice.
func ParseProgress(next int64, metadata string) (Progress, error) {
	p := Progress{Next: max(next, 0), Done: map[int64]bool{}}
	rest, ok := strings.CutPrefix(metadata, progressPrefix)
	if !ok || rest == "" {
		return p, nil
	}
	for _, r := range strings.Split(rest, ",") {
		a, b, isRange := strings.Cut(r, "-")
		lo, err1 := strconv.ParseInt(a, 10, 64)
		hi := lo
		var err2 error
		if isRange {
			hi, err2 = strconv.ParseInt(b, 10, 64)
		}
		if err1 != nil || err2 != nil || hi < lo || hi-lo > 1<<20 {
			return Progress{}, fmt.Errorf("replay progress %q: range %q does not parse", metadata, r)
		}
		for o := lo; o <= hi; o++ {
			if o >= p.Next {
				p.Done[o] = true
			}
		}
	}
	for p.Done[p.Next] {
		delete(p.Done, p.Next)
		p.Next++
	}
	return p, nil
}
