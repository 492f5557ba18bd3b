package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MaxFileSize is the largest topics file Load reads: 16 MiB, far above a
// 10,000-topic file (about 1.2 MiB written one topic a line, 3 MiB in block
// style with comments). Parsing holds the whole YAML node tree, some 20
// times the file's size, so the limit is what bounds kctl's memory.
const MaxFileSize = 16 << 20

// FileTooLargeError is Load's error for a file above MaxFileSize; nothing
// of it was parsed.
type FileTooLargeError struct {
	Path  string
	Size  int64 // bytes; for a file whose size is unknown up front (a pipe), at least this much
	Limit int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("topics file %s is %s (%d bytes), above the limit of %s that kctl reads: split it into files that each manage their own managedPrefixes, and validate, plan and apply each",
		e.Path, mib(e.Size), e.Size, mib(e.Limit))
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Load reads and parses the topics file at path. It returns an error only
// when the file cannot be read or is above MaxFileSize (a
// *FileTooLargeError, returned before the file is read); every problem in
// its content is a Diagnostic (use Diagnostics.Err to stop on errors). The
// *File is nil when the content cannot be used at all (not YAML, not a
// mapping).
func Load(path string) (*File, Diagnostics, error) {
	data, err := readLimited(path, MaxFileSize)
	if err != nil {
		return nil, nil, err
	}
	f, diags := Parse(path, data)
	if f != nil {
		// A relative passwordFrom file is beside the topics file, wherever
		// kctl runs from.
		for i := range f.Users {
			f.Users[i].PasswordFrom.Dir = filepath.Dir(path)
		}
	}
	return f, diags, nil
}

// readLimited reads the file at path, refusing one above limit bytes from
// its size before reading it, or — for a pipe or device, whose size is not
// known — as soon as more than limit bytes arrive.
func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("topics file %s not found: give one with -f FILE (default ./topics.yaml)", path)
		}
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("read topics file: %s is a directory: give the file with -f FILE", path)
	}
	size := int64(0)
	if st.Mode().IsRegular() {
		size = st.Size()
		if size > limit {
			return nil, &FileTooLargeError{Path: path, Size: size, Limit: limit}
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	if n > limit { // grew since Stat, or not a regular file
		return nil, &FileTooLargeError{Path: path, Size: n, Limit: limit}
	}
	return buf.Bytes(), nil
}
