// Package lockfile gives a process exclusive ownership of a resource (the
// embedded cluster's data directory, a service's database) through an
// flock(2) on a lock file. The kernel releases the lock when the process
// dies, even by kill -9, so a crashed owner never blocks the next start.
// The lock file names its holder (pid, and an address once known), so the
// refusal of a second start can name the first.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Lock is a held lock. The zero value is not usable; Acquire returns one.
type Lock struct {
	f    *os.File
	path string
}

// Holder is what the lock file says of the process holding it.
type Holder struct {
	PID  int    // 0: unknown
	Addr string // "" until the holder sets it
}

// String is "pid 123, http://127.0.0.1:8080", "pid 123", or "pid unknown".
func (h Holder) String() string {
	pid := "pid unknown"
	if h.PID > 0 {
		pid = "pid " + strconv.Itoa(h.PID)
	}
	if h.Addr == "" {
		return pid
	}
	return pid + ", " + h.Addr
}

// InUseError says another process holds the lock.
type InUseError struct {
	Path   string // the lock file
	Holder Holder
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s is held by another running process (%s)", e.Path, e.Holder)
}

// Acquire takes an exclusive lock on path (creating the file), without
// waiting, and writes the caller's pid into it. It returns an *InUseError
// naming the holder when another process (or another Acquire in this
// process) holds it, and any other error with context.
func Acquire(path string) (*Lock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &InUseError{Path: path, Holder: ReadHolder(path)}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder may have removed the file (Remove) between our open
		// and our flock: then we locked a file nobody else will see.
		// Lock the one at path instead.
		fst, err1 := f.Stat()
		pst, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(fst, pst) {
			l := &Lock{f: f, path: path}
			if err := l.write(Holder{PID: os.Getpid()}); err != nil {
				l.Release()
				return nil, err
			}
			return l, nil
		}
		f.Close()
		if err2 != nil && !errors.Is(err2, os.ErrNotExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err2)
		}
	}
}

// SetAddr records the address the holder serves on, for the error a
// second Acquire returns.
func (l *Lock) SetAddr(addr string) error {
	return l.write(Holder{PID: os.Getpid(), Addr: addr})
}

func (l *Lock) write(h Holder) error {
	b := []byte("pid " + strconv.Itoa(h.PID) + "\n")
	if h.Addr != "" {
		b = append(b, "addr "+h.Addr+"\n"...)
	}
	if _, err := l.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write lock file %s: %w", l.path, err)
	}
	if err := l.f.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("write lock file %s: %w", l.path, err)
	}
	return nil
}

// ReadHolder reads the holder a lock file names; a missing or unreadable
// file gives the zero Holder.
func ReadHolder(path string) Holder {
	b, _ := os.ReadFile(path)
	var h Holder
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "addr":
			h.Addr = v
		}
	}
	return h
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release unlocks and closes the file (it stays on disk). It may be
// called more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}

// Remove deletes the lock file while still holding the lock, then
// releases it: for an owner that leaves nothing behind.
func (l *Lock) Remove() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, l.Release())
}
