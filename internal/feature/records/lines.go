package records

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// LineTooLongError says a line is longer than the limit.
type LineTooLongError struct {
	Line  int64 // 1-based
	Size  int   // bytes read of the line, at least Limit+1
	Limit int
	// Partial says the line goes on beyond Size (reading stopped there).
	Partial bool
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.Line, e.Limit)
}

// LineReader reads newline-terminated lines of any length up to a limit
// (bufio.Scanner stops at 64 KiB). A last line without a newline counts.
type LineReader struct {
	r     *bufio.Reader
	limit int
	line  int64
	long  []byte
	err   error
}

// NewLineReader reads lines of at most limit bytes (without the newline) from r.
func NewLineReader(r io.Reader, limit int) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 1<<20), limit: limit}
}

// Line returns the number of the last line returned (1-based).
func (lr *LineReader) Line() int64 { return lr.line }

// Next returns the next line without its "\n"; the slice is valid until the
// next call. It returns io.EOF after the last line, a *LineTooLongError for
// a line over the limit (the reader then stays at that error), and the
// reader's error otherwise.
func (lr *LineReader) Next() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	lr.long = lr.long[:0]
	for {
		b, err := lr.r.ReadSlice('\n')
		if err == nil && len(lr.long) == 0 {
			lr.line++
			if len(b)-1 > lr.limit {
				lr.err = &LineTooLongError{Line: lr.line, Size: len(b) - 1, Limit: lr.limit}
				return nil, lr.err
			}
			return b[:len(b)-1], nil
		}
		content := len(lr.long) + len(b)
		if err == nil {
			content-- // the newline
		}
		if content > lr.limit && (err == nil || errors.Is(err, bufio.ErrBufferFull) || errors.Is(err, io.EOF)) {
			lr.line++
			lr.err = &LineTooLongError{Line: lr.line, Size: content, Limit: lr.limit, Partial: errors.Is(err, bufio.ErrBufferFull)}
			return nil, lr.err
		}
		lr.long = append(lr.long, b...)
		switch {
		case err == nil:
			lr.line++
			return lr.long[:len(lr.long)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			lr.err = io.EOF
			if len(lr.long) == 0 {
				return nil, io.EOF
			}
			lr.line++
			return lr.long, nil
		default:
			lr.err = err
			return nil, err
		}
	}
}
