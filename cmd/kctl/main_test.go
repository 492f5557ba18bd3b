package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/cli"
	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/testnet"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestMain lets testscript run this test binary as the real `kctl` command:
// scripts exec it as a separate process with its own args, env and exit code.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"kctl": func() int { return cli.Main(os.Args[1:]) },
	}))
}

// TestScripts runs testdata/script/*.txtar. Conditions besides testscript's own:
//
//	[py:MODULE]     /usr/bin/python3 can import MODULE (confluent_kafka, kafka): the
//	                independent Python clients of the interop tests. Under CI=true a
//	                missing module is an error, not a skip (.ci/run installs them).
//	[kcat]          kcat is installed; under CI=true, missing is an error.
//	[tmux]          tmux is installed; under CI=true, missing is an error.
//
// Custom commands:
//
//	kfake start                      start an in-process 3-broker cluster (cluster ID "kfake"); sets KCTL_BROKERS, BROKER0..2
//	kfake start VAR                  start another one; sets only VAR to its bootstrap list
//	kfake holdtxn VAR N              VAR's cluster lets N EndTxn through and holds the next
//	kfake waithold VAR               wait until VAR holds an EndTxn
//	kfake release VAR                the held EndTxn fails (its transaction stays open)
//	kfake topic NAME PARTITIONS      create a topic (RF 3) with another client (kadm)
//	kfake produce TOPIC N            produce N records with keys k0..k(N-1)
//	kfake consume GROUP TOPIC N      consume N records in consumer group GROUP, commit them, leave
//	kfake leaders                    put each partition's leader on broker (partition mod 3), as Kafka does
//	                                 (kfake picks them at random): tables of leaders are the same each run
//	kfake groups N LEN TOPIC         commit offset 0 of TOPIC/0 for N groups named g000…, LEN characters long
//	refusedport VAR...               set each VAR to a loopback port that refuses connections
//	                                 (bound, never listening, held until the script ends)
//	silentport VAR...                set each VAR to a loopback port that accepts connections and
//	                                 never answers, as a hung broker (held until the script ends)
//	readport FILE REGEX VAR...       wait (60s at most) until FILE matches REGEX; set each VAR
//	                                 to a submatch (servers bind :0 and log the port they got)
//	waitport HOST:PORT [TIMEOUT]     wait until a TCP port accepts connections
//	waitfile FILE [TIMEOUT]          wait until FILE exists and is not empty
//	gencerts DIR                     write ca.pem, cert.pem, key.pem (127.0.0.1/localhost)
//	mktopic BROKERS NAME PARTITIONS [RF [KEY=VALUE...]]
//	                                 create a topic (RF 3 unless given, with configs) on any
//	                                 cluster with another client (kadm)
//	httpreq [-until RE] METHOD URL [BODY]
//	                                 HTTP request (a BODY is sent as JSON); stdout is the status
//	                                 code, a newline, then the body; -until repeats it (60s at
//	                                 most) until the body matches RE
//	tmux start|keys|wait|show ...    drive a full-screen command in tmux (see cmdTmux)
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(filepath.Join("testdata", "script")))
}

// scriptParams are TestScripts' parameters for the scripts in dir; the
// documentation's examples (docs_test.go) run with the same ones.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Condition:           condition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".state"))
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"kfake":       cmdKfake,
			"refusedport": cmdRefusedport,
			"silentport":  cmdSilentport,
			"readport":    cmdReadport,
			"waitport":    cmdWaitport,
			"waitfile":    cmdWaitfile,
			"gencerts":    cmdGencerts,
			"mktopic":     cmdMktopic,
			"httpreq":     cmdHTTPReq,
			"tmux":        cmdTmux,
		},
	}
}

type scriptCluster struct {
	c *devcluster.Cluster
	// held and release are kfake holdtxn's: closed when an EndTxn is held,
	// and to let it go.
	held, release chan struct{}
}

var (
	clustersMu sync.Mutex // scripts run in parallel
	clusters   = map[*testscript.TestScript]*scriptCluster{}
	// named are the clusters of 'kfake start VAR', by script and VAR.
	named = map[*testscript.TestScript]map[string]*scriptCluster{}
)

// namedCluster returns the cluster 'kfake start VAR' started.
func namedCluster(ts *testscript.TestScript, name string) *scriptCluster {
	clustersMu.Lock()
	defer clustersMu.Unlock()
	sc := named[ts][name]
	if sc == nil {
		ts.Fatalf("no cluster %s: run 'kfake start %s' first", name, name)
	}
	return sc
}

func cmdKfake(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: kfake start | topic NAME PARTITIONS | produce TOPIC N | consume GROUP TOPIC N")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	switch args[0] {
	case "start":
		c, err := devcluster.Start(devcluster.Options{ClusterID: "kfake"})
		ts.Check(err)
		ts.Defer(c.Close)
		if len(args) == 2 {
			ts.Setenv(args[1], c.Bootstrap())
			clustersMu.Lock()
			if named[ts] == nil {
				named[ts] = map[string]*scriptCluster{}
				ts.Defer(func() { clustersMu.Lock(); delete(named, ts); clustersMu.Unlock() })
			}
			named[ts][args[1]] = &scriptCluster{c: c}
			clustersMu.Unlock()
			return
		}
		clustersMu.Lock()
		clusters[ts] = &scriptCluster{c: c}
		clustersMu.Unlock()
		ts.Defer(func() { clustersMu.Lock(); delete(clusters, ts); clustersMu.Unlock() })
		ts.Setenv("KCTL_BROKERS", c.Bootstrap())
		for i, b := range c.Brokers() {
			ts.Setenv("BROKER"+strconv.Itoa(i), b)
		}
	case "topic", "produce":
		clustersMu.Lock()
		sc := clusters[ts]
		clustersMu.Unlock()
		if sc == nil {
			ts.Fatalf("kfake %s: run 'kfake start' first", args[0])
		}
		if len(args) != 3 {
			ts.Fatalf("usage: kfake %s NAME N", args[0])
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		cl, err := kgo.NewClient(kgo.SeedBrokers(sc.c.Brokers()...), kgo.DefaultProduceTopic(args[1]))
		ts.Check(err)
		defer cl.Close()
		if args[0] == "topic" {
			resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(n), 3, nil, args[1])
			if err == nil {
				err = resp.Err
			}
			ts.Check(err)
			return
		}
		for i := 0; i < n; i++ {
			r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
			ts.Check(cl.ProduceSync(ctx, r).FirstErr())
		}
	case "holdtxn":
		// kfake holdtxn VAR N: the cluster started as VAR lets N EndTxn
		// requests through, then holds the next one (the rest of the
		// cluster keeps answering) until 'kfake release VAR'; the held
		// request then fails and its connection is dropped, so that
		// transaction is never ended by its producer.
		if len(args) != 3 {
			ts.Fatalf("usage: kfake holdtxn VAR N")
		}
		sc := namedCluster(ts, args[1])
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		sc.held, sc.release = make(chan struct{}), make(chan struct{})
		held, release := sc.held, sc.release
		var seen atomic.Int32
		var once sync.Once
		sc.c.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
			sc.c.KeepControl()
			if seen.Add(1) <= int32(n) {
				return nil, nil, false
			}
			select {
			case <-release: // released: one request was held; the rest pass
				return nil, nil, false
			default:
			}
			first := false
			once.Do(func() { close(held); first = true })
			if !first {
				return nil, nil, false
			}
			sc.c.SleepControl(func() { <-release })
			return nil, errors.New("EndTxn held by the test (kfake holdtxn)"), true
		})
		ts.Defer(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
	case "waithold":
		// kfake waithold VAR: wait (60s at most) until VAR holds an EndTxn.
		if len(args) != 2 {
			ts.Fatalf("usage: kfake waithold VAR")
		}
		sc := namedCluster(ts, args[1])
		select {
		case <-sc.held:
		case <-time.After(60 * time.Second):
			ts.Fatalf("no EndTxn held on %s within 60s", args[1])
		}
	case "release":
		// kfake release VAR: the held EndTxn fails (see holdtxn).
		sc := namedCluster(ts, args[1])
		select {
		case <-sc.release:
		default:
			close(sc.release)
		}
	case "leaders":
		// kfake picks each partition's leader at random: put them round
		// robin (partition p on broker p mod 3), as Kafka places them, so
		// that a printed table is the same at every run.
		clustersMu.Lock()
		sc := clusters[ts]
		clustersMu.Unlock()
		if sc == nil || len(args) != 1 {
			ts.Fatalf("usage: kfake leaders (after 'kfake start')")
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(sc.c.Brokers()...))
		ts.Check(err)
		defer cl.Close()
		topics, err := kadm.NewClient(cl).ListTopics(ctx)
		ts.Check(err)
		ts.Check(topics.Error())
		n := int32(len(sc.c.Brokers()))
		for _, td := range topics {
			for p := range td.Partitions {
				ts.Check(sc.c.MoveTopicPartition(td.Topic, p, p%n))
			}
		}
	case "consume":
		sc := clusters[ts]
		if sc == nil || len(args) != 4 {
			ts.Fatalf("usage: kfake consume GROUP TOPIC N (after 'kfake start')")
		}
		n, err := strconv.Atoi(args[3])
		ts.Check(err)
		ts.Check(consumeCommit(ctx, sc.c.Brokers(), args[1], args[2], n))
	case "groups":
		sc := clusters[ts]
		if sc == nil || len(args) != 4 {
			ts.Fatalf("usage: kfake groups N LEN TOPIC (after 'kfake start')")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		size, err := strconv.Atoi(args[2])
		ts.Check(err)
		cl, err := kgo.NewClient(kgo.SeedBrokers(sc.c.Brokers()...))
		ts.Check(err)
		defer cl.Close()
		adm := kadm.NewClient(cl)
		var o kadm.Offsets
		o.Add(kadm.Offset{Topic: args[3], Partition: 0, At: 0, LeaderEpoch: -1})
		for i := range n {
			ts.Check(adm.CommitAllOffsets(ctx, fmt.Sprintf("g%0*d", max(size-1, 1), i), o))
		}
	default:
		ts.Fatalf("kfake: unknown subcommand %q", args[0])
	}
}

// consumeCommit consumes exactly n records of topic as a member of group
// (a real kgo consumer group), commits them, and leaves the group.
func consumeCommit(ctx context.Context, brokers []string, group, topic string, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollRecords(ctx, n-len(recs))
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("consumed %d of %d records: %w", len(recs), n, err)
		}
		if err := fs.Err0(); err != nil {
			return err
		}
		recs = append(recs, fs.Records()...)
	}
	return cl.CommitRecords(ctx, recs...)
}

// cmdRefusedport sets each VAR to the port of a socket bound and never
// listening: connections are refused, and the port cannot be taken by
// anyone else while the script runs (no "free port, close, reuse" race).
func cmdRefusedport(ts *testscript.TestScript, _ bool, args []string) {
	for _, v := range args {
		r, err := testnet.NewRefused()
		ts.Check(err)
		ts.Defer(func() { r.Close() })
		ts.Setenv(v, strconv.Itoa(r.Port))
	}
}

// cmdSilentport sets each VAR to the port of a listener that accepts
// connections and never writes a byte: a broker that hangs.
func cmdSilentport(ts *testscript.TestScript, _ bool, args []string) {
	for _, v := range args {
		s, err := testnet.NewSilent()
		ts.Check(err)
		ts.Defer(func() { s.Close() })
		_, port, err := net.SplitHostPort(s.Addr())
		ts.Check(err)
		ts.Setenv(v, port)
	}
}

// cmdReadport waits until FILE (a background server's log) matches REGEX and
// sets each VAR to the next submatch: the port the server bound on :0.
func cmdReadport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: readport FILE REGEX VAR...")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	vars := args[2:]
	if re.NumSubexp() < len(vars) {
		ts.Fatalf("readport: %q has %d groups for %d variables", args[1], re.NumSubexp(), len(vars))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		if m := re.FindSubmatch(b); m != nil {
			for i, v := range vars {
				ts.Setenv(v, string(m[i+1]))
			}
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not match %q within 60s:\n%s", args[0], args[1], b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func parseTimeout(ts *testscript.TestScript, args []string, i int) time.Duration {
	if len(args) > i {
		d, err := time.ParseDuration(args[i])
		ts.Check(err)
		return d
	}
	return 60 * time.Second
}

func cmdWaitport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: waitport HOST:PORT [TIMEOUT]")
	}
	deadline := time.Now().Add(parseTimeout(ts, args, 1))
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", args[0], 200*time.Millisecond)
		if err == nil {
			c.Close()
			if neg {
				ts.Fatalf("%s accepts connections", args[0])
			}
			return
		}
		if neg {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s did not accept connections in time", args[0])
}

// condition answers [py:MODULE] and [kcat]; see TestScripts.
func condition(cond string) (bool, error) {
	ci := os.Getenv("CI") == "true"
	if mod, ok := strings.CutPrefix(cond, "py:"); ok {
		err := exec.Command("/usr/bin/python3", "-c", "import "+mod).Run()
		if err != nil && ci {
			return false, fmt.Errorf("[%s]: python module %s is missing under CI (Debian package python3-%s; .ci/run installs it): %v", cond, mod, strings.ReplaceAll(mod, "_", "-"), err)
		}
		return err == nil, nil
	}
	if cond == "kcat" || cond == "tmux" {
		_, err := exec.LookPath(cond)
		if err != nil && ci {
			return false, fmt.Errorf("[%s]: %s is missing under CI (.ci/run installs it)", cond, cond)
		}
		return err == nil, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

func cmdWaitfile(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: waitfile FILE [TIMEOUT]")
	}
	deadline := time.Now().Add(parseTimeout(ts, args, 1))
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && strings.TrimSpace(string(b)) != "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s is still empty", args[0])
}

func cmdGencerts(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gencerts DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	_, err := devclustertest.WriteCerts(dir)
	ts.Check(err)
}

func cmdMktopic(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: mktopic BROKERS NAME PARTITIONS [RF [KEY=VALUE...]]")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	rf := 3
	if len(args) > 3 {
		rf, err = strconv.Atoi(args[3])
		ts.Check(err)
	}
	var configs map[string]*string
	for _, kv := range args[min(len(args), 4):] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("mktopic: %q is not KEY=VALUE", kv)
		}
		if configs == nil {
			configs = map[string]*string{}
		}
		configs[k] = &v
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(args[0], ",")...))
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(n), int16(rf), configs, args[1])
	if err == nil {
		err = resp.Err
	}
	ts.Check(err)
}

func cmdHTTPReq(ts *testscript.TestScript, neg bool, args []string) {
	var until *regexp.Regexp
	if len(args) > 1 && args[0] == "-until" {
		until = regexp.MustCompile(args[1])
		args = args[2:]
	}
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: httpreq [-until REGEX] METHOD URL [BODY]")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var body io.Reader
		if len(args) == 3 {
			body = strings.NewReader(args[2])
		}
		req, err := http.NewRequest(args[0], args[1], body)
		ts.Check(err)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		if until == nil || until.Match(b) {
			fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, strings.TrimRight(string(b), "\n"))
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("httpreq: %s %s never matched %q; last answer %d %s", args[0], args[1], until, resp.StatusCode, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
