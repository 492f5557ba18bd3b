package email

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeInflight renders rows (all of one partition) as
// {"t":topic,"p":partition,"ev":[[eventId,userId,email,offset],…]}.
func encodeInflight(rows []logRow) []byte {
	b := make([]byte, 0, 64+80*len(rows))
	b = append(b, `{"t":`...)
	if len(rows) > 0 {
		b = strconv.AppendQuote(b, rows[0].Topic)
		b = append(b, `,"p":`...)
		b = strconv.AppendInt(b, int64(rows[0].Partition), 10)
	} else {
		b = append(b, `"","p":0`...)
	}
	b = append(b, `,"ev":[`...)
	for i := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendQuote(b, rows[i].EventID)
		b = append(b, ',')
		b = strconv.AppendInt(b, rows[i].UserID, 10)
		b = append(b, ',')
		b = strconv.AppendQuote(b, rows[i].Recipient)
		b = append(b, ',')
		b = strconv.AppendInt(b, rows[i].Offset, 10)
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// decodeInflight parses encodeInflight's output.
func decodeInflight(b []byte) ([]logRow, error) {
	var raw struct {
		T  string            `json:"t"`
		P  int32             `json:"p"`
		Ev []json.RawMessage `json:"ev"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	rows := make([]logRow, 0, len(raw.Ev))
	for _, e := range raw.Ev {
		r := logRow{Topic: raw.T, Partition: raw.P}
		if err := json.Unmarshal(e, &[]any{&r.EventID, &r.UserID, &r.Recipient, &r.Offset}); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// The outcome journal of a batch is a file beside the database,
// <db>-outcomes-<batch id>, created when the batch begins: each outcome
// (sent, or failed and dead-lettered) is appended to it as one line, with
// one write(2) and no fsync, before the partition's next send starts and
// before the send frees its concurrency slot. A write that returned is in
// the operating system's page cache, so it survives the process's crash
// (kill -9). When the batch ends, its outcomes go into email_log in one
// fsynced transaction that also deletes the in-flight row (finishBatch);
// then the file is removed and the batch's offsets may be committed. A power
// loss (or OS crash) may take the lines not yet fsynced, never an outcome
// whose offset was committed: those events are redelivered and sent again
// (at least once, same Message-ID). Each line is
// "<crc32 of the JSON, 8 hex digits> <JSON of outcomeLine>\n"; a torn or
// damaged line fails its checksum and is skipped.
const journalSuffix = "-outcomes-"

func (s *Service) journalPath(inflight int64) string {
	return s.cfg.DBPath + journalSuffix + strconv.FormatInt(inflight, 10)
}

// outcomeLine is one outcome in a batch's journal: the whole email_log row.
type outcomeLine struct {
	EventID    string `json:"e"`
	UserID     int64  `json:"u"`
	Recipient  string `json:"to"`
	Subject    string `json:"sub"`
	Topic      string `json:"t"`
	Partition  int32  `json:"p"`
	Offset     int64  `json:"o"`
	OccurredAt string `json:"at"`
	Status     string `json:"s"`
	Attempts   int    `json:"n"`
	Err        string `json:"err,omitempty"`
	SentAt     int64  `json:"sent,omitempty"`
	Resend     bool   `json:"re,omitempty"`
}

// encodeOutcome renders r as a journal line. It appends the JSON by hand
// (the fields of outcomeLine, in order): json.Marshal costs more than the
// write(2) of the line.
func encodeOutcome(r *logRow) []byte {
	b := make([]byte, 9, 400)
	b = append(b, `{"e":`...)
	b = appendJSONString(b, r.EventID)
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, r.UserID, 10)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, r.Recipient)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, r.Subject)
	b = append(b, `,"t":`...)
	b = appendJSONString(b, r.Topic)
	b = append(b, `,"p":`...)
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, `,"o":`...)
	b = strconv.AppendInt(b, r.Offset, 10)
	b = append(b, `,"at":`...)
	b = appendJSONString(b, r.OccurredAt)
	b = append(b, `,"s":`...)
	b = appendJSONString(b, r.status)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(r.attempts), 10)
	if r.err != "" {
		b = append(b, `,"err":`...)
		b = appendJSONString(b, r.err)
	}
	if r.sentAt != 0 {
		b = append(b, `,"sent":`...)
		b = strconv.AppendInt(b, r.sentAt, 10)
	}
	if r.resend {
		b = append(b, `,"re":true`...)
	}
	b = append(b, '}')
	const digits = "0123456789abcdef"
	sum := crc32.ChecksumIEEE(b[9:])
	for i := 7; i >= 0; i-- {
		b[i] = digits[sum&0xf]
		sum >>= 4
	}
	b[8] = ' '
	return append(b, '\n')
}

// appendJSONString appends s as a JSON string: as is when it is valid
// UTF-8 without control characters, quotes or backslashes (the usual
// case), else escaped by encoding/json.
func appendJSONString(b []byte, s string) []byte {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			plain = false
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	js, _ := json.Marshal(s)
	return append(b, js...)
}

// readJournal returns the outcomes in the journal file at path, skipping
// lines that fail their checksum (torn by a power loss); none when the file
// does not exist. It returns the error of reading the file.
func readJournal(path string) ([]logRow, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read outcome journal: %w", err)
	}
	var rows []logRow
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(line) < 10 || line[8] != ' ' {
			continue
		}
		sum, err := strconv.ParseUint(string(line[:8]), 16, 32)
		if err != nil || uint32(sum) != crc32.ChecksumIEEE(line[9:]) {
			continue
		}
		var o outcomeLine
		if json.Unmarshal(line[9:], &o) != nil {
			continue
		}
		rows = append(rows, logRow{
			EventID: o.EventID, UserID: o.UserID, Recipient: o.Recipient, Subject: o.Subject, Topic: o.Topic,
			Partition: o.Partition, Offset: o.Offset, OccurredAt: o.OccurredAt, status: o.Status,
			attempts: o.Attempts, err: o.Err, sentAt: o.SentAt, resend: o.Resend,
		})
	}
	return rows, nil
}

// openJournal creates (or empties) the outcome journal of a batch.
func (s *Service) openJournal(inflight int64) (*os.File, error) {
	f, err := os.OpenFile(s.journalPath(inflight), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create outcome journal: %w", err)
	}
	return f, nil
}

// appendOutcome writes one outcome line to a batch's journal; when it
// returns nil the outcome survives the process's crash.
func appendOutcome(f *os.File, r *logRow) error {
	if _, err := f.Write(encodeOutcome(r)); err != nil {
		return fmt.Errorf("write outcome journal: %w", err)
	}
	return nil
}

// removeJournals removes every outcome journal beside the database: called
// when no batch is in flight.
func (s *Service) removeJournals() error {
	dir, base := filepath.Split(s.cfg.DBPath)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list outcome journals: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if rest, ok := strings.CutPrefix(e.Name(), base+journalSuffix); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
