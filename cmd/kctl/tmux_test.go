package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTmux drives a full-screen command in a tmux server of the script's own
// (socket $WORK/tmux.sock, killed when the script ends):
//
//	tmux start WIDTH HEIGHT CMD     start a session running CMD (sh -c) in a WIDTHxHEIGHT window
//	tmux keys KEY...                send keys (tmux send-keys names: Tab, Enter, Escape, C-c, q)
//	tmux wait REGEX                 wait (60s at most) until the screen matches REGEX (multiline);
//	                                stdout is then the screen, for stdout assertions
//	tmux show FORMAT                stdout is tmux's display -p FORMAT, e.g. #{alternate_on}
//	tmux signal SIG                 send SIG (INT, TERM) to the processes the pane's shell started
func cmdTmux(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! tmux")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: tmux start|keys|wait|show ...")
	}
	sock := ts.MkAbs("tmux.sock")
	run := func(a ...string) string {
		cmd := exec.Command("tmux", append([]string{"-S", sock}, a...)...)
		cmd.Dir = ts.MkAbs(".")
		var env []string
		for _, kv := range []string{"PATH", "HOME", "NO_COLOR", "KCTL_BROKERS", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "TMPDIR", "KCTL_SASL_PASSWORD"} {
			env = append(env, kv+"="+ts.Getenv(kv))
		}
		cmd.Env = append(env, "TERM=xterm-256color")
		out, err := cmd.CombinedOutput()
		if err != nil {
			ts.Fatalf("tmux %s: %v\n%s", strings.Join(a, " "), err, out)
		}
		return string(out)
	}
	switch args[0] {
	case "start":
		if len(args) != 4 {
			ts.Fatalf("usage: tmux start WIDTH HEIGHT CMD")
		}
		run("-f", os.DevNull, "new-session", "-d", "-s", "t", "-x", args[1], "-y", args[2], args[3])
		ts.Defer(func() { _ = exec.Command("tmux", "-S", sock, "kill-server").Run() })
	case "keys":
		run(append([]string{"send-keys", "-t", "t"}, args[1:]...)...)
	case "wait":
		if len(args) != 2 {
			ts.Fatalf("usage: tmux wait REGEX")
		}
		re, err := regexp.Compile("(?m)" + args[1])
		ts.Check(err)
		deadline := time.Now().Add(60 * time.Second)
		var screen string
		for time.Now().Before(deadline) {
			screen = run("capture-pane", "-p", "-t", "t")
			if re.MatchString(screen) {
				ts.Stdout().Write([]byte(screen))
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		ts.Fatalf("the screen never matched %s; last:\n%s", args[1], screen)
	case "show":
		ts.Stdout().Write([]byte(run("display-message", "-p", "-t", "t", strings.Join(args[1:], " "))))
	case "signal":
		if len(args) != 2 {
			ts.Fatalf("usage: tmux signal SIG")
		}
		pid := strings.TrimSpace(run("display-message", "-p", "-t", "t", "#{pane_pid}"))
		out, err := exec.Command("pkill", "-"+args[1], "-P", pid).CombinedOutput()
		if err != nil {
			ts.Fatalf("pkill -%s -P %s: %v\n%s", args[1], pid, err, out)
		}
	default:
		ts.Fatalf("unknown tmux subcommand %q", args[0])
	}
}
