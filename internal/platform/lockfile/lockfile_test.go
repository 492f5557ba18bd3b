package lockfile

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecondAcquireNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	a, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.Holder.PID != os.Getpid() || inUse.Holder.Addr != "" {
		t.Fatalf("second Acquire: %v, want an *InUseError naming pid %d", err, os.Getpid())
	}
	if err := a.SetAddr("http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	if !errors.As(err, &inUse) || inUse.Holder.Addr != "http://127.0.0.1:8080" ||
		!strings.Contains(err.Error(), "(pid ") || !strings.Contains(err.Error(), ", http://127.0.0.1:8080)") {
		t.Fatalf("second Acquire after SetAddr: %v, want the address named", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(path)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	if err := b.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Remove the file is still there: %v", err)
	}
	c, err := Acquire(path)
	if err != nil {
		t.Fatalf("after Remove: %v", err)
	}
	c.Release()
}

// The kernel releases the lock of a process killed with SIGKILL: the next
// Acquire succeeds at once.
func TestLockDiesWithItsProcess(t *testing.T) {
	if os.Getenv("LOCKFILE_CHILD") != "" {
		return
	}
	path := filepath.Join(t.TempDir(), "x.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHold$")
	cmd.Env = append(os.Environ(), "LOCKFILE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("child: %q, %v", line, err)
	}
	_, err = Acquire(path)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.Holder.PID != cmd.Process.Pid || inUse.Holder.Addr != "127.0.0.1:1234" {
		t.Fatalf("while the child holds it: %v, want pid %d and its address", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("after kill -9 of the holder: %v", err)
	}
	l.Release()
}

// TestHelperHold is the child of TestLockDiesWithItsProcess: it takes the
// lock, says so, and waits to be killed.
func TestHelperHold(t *testing.T) {
	path := os.Getenv("LOCKFILE_CHILD")
	if path == "" {
		t.Skip("helper process")
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetAddr("127.0.0.1:1234"); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Hour) // until the parent kills it
}
