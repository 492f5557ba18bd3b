package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// brokenPipe is a stdout whose reader went away (kctl consume | head).
type brokenPipe struct{ writes int }

func (b *brokenPipe) Write(p []byte) (int, error) {
	b.writes++
	return 0, syscall.EPIPE
}

// Piped into a reader that goes away, consume stops quietly with exit 0.
func TestConsumeBrokenPipe(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 1, nil)
	cl := devclustertest.Client(t, c, kgo.DefaultProduceTopic("t"))
	var recs []*kgo.Record
	for i := range 100 {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out := &brokenPipe{}
	var errOut bytes.Buffer
	env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "XDG_CONFIG_HOME": t.TempDir()}
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &errOut}, func(k string) string { return env[k] })
	// Without -e it would follow forever: the broken pipe ends it.
	if code := Run(context.Background(), f, []string{"consume", "t"}); code != 0 || errOut.Len() != 0 || out.writes != 1 {
		t.Fatalf("exit %d, %d writes, stderr %q", code, out.writes, errOut.String())
	}
}

func TestConsumeProduceFlags(t *testing.T) {
	run := func(cmd string, args ...string) (*ConsumeOptions, *ProduceOptions, error) {
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, func(string) string { return "" })
		root := NewCmdRoot(f)
		var co *ConsumeOptions
		var po *ProduceOptions
		for _, c := range root.Commands() {
			switch c.Name() {
			case "consume":
				root.RemoveCommand(c)
				root.AddCommand(NewCmdConsume(f, func(_ context.Context, o *ConsumeOptions) error { co = o; return nil }))
			case "produce":
				root.RemoveCommand(c)
				root.AddCommand(NewCmdProduce(f, func(_ context.Context, o *ProduceOptions) error { po = o; return nil }))
			}
		}
		root.SetArgs(append([]string{cmd}, args...))
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		err := root.Execute()
		return co, po, err
	}
	co, _, err := run("consume", "a", "b")
	if err != nil || co.Records.From.Kind != records.FromBeginning || strings.Join(co.Records.Topics, ",") != "a,b" {
		t.Fatalf("defaults: %+v %v", co, err)
	}
	if _, ok := co.Encoder.(*records.TextFormat); !ok {
		t.Errorf("default encoder %T", co.Encoder)
	}
	co, _, err = run("consume", "a", "--group", "g")
	if err != nil || co.Records.From.Kind != records.FromStored || co.Records.Group != "g" {
		t.Fatalf("--group defaults to stored: %+v %v", co.Records, err)
	}
	co, _, err = run("consume", "a", "--from", "-5", "-p", "0,2", "-p", "4", "-n", "7", "-e", "-o", "json")
	if err != nil || co.Records.From.Kind != records.FromTail || co.Records.From.Offset != 5 || len(co.Records.Partitions) != 3 ||
		co.Records.Max != 7 || !co.Records.Exit {
		t.Fatalf("%+v %v", co.Records, err)
	}
	if _, ok := co.Encoder.(records.JSON); !ok {
		t.Errorf("-o json encoder %T", co.Encoder)
	}
	_, po, err := run("produce", "t", "-k", `\t`, "-H", "a=1", "-H", "b=2", "--partition", "2", "--compression", "lz4", "--file", "x")
	if err != nil || string(po.Records.KeySeparator) != "\t" || len(po.Records.Headers) != 2 || po.Records.Partition != 2 || po.Compression != "lz4" || po.File != "x" {
		t.Fatalf("%+v %v", po, err)
	}
	_, po, err = run("produce", "t", "-p", "1", "-o", "yaml")
	if err != nil || po.Records.Partition != 1 {
		t.Fatalf("produce -p 1 -o yaml: %+v %v", po, err)
	}
	co, _, err = run("consume", "a", "-o", "yaml")
	if _, ok := co.Encoder.(records.YAML); err != nil || !ok {
		t.Errorf("-o yaml encoder %T, %v", co.Encoder, err)
	}
	_, po, err = run("produce", "t")
	if err != nil || po.Records.Partition != -1 || len(po.Records.KeySeparator) != 0 {
		t.Fatalf("produce defaults: %+v %v", po.Records, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"consume"}, "give the topic(s) to read: kctl consume TOPIC..."},
		{[]string{"consume", "a", "-o", "beginning"}, "kcat's -o OFFSET is --from in kctl: kctl consume a --from beginning"},
		{[]string{"consume", "a", "-o", "-5"}, "kctl consume a --from -5"},
		{[]string{"consume", "a", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"consume", "a", "--from", "+1h"}, `--from "+1h": a leading + is ambiguous`},
		{[]string{"consume", "a", "--format", "%z %s\\n"}, `format '%z %s\n': unknown placeholder %z`},
		{[]string{"consume", "a", "--format", "%s", "-o", "yaml"}, "--format and -o yaml do not go together"},
		{[]string{"consume", "a", "-f", "%s"}, "-f is always a file in kctl, and consume reads none; the record format (kcat's -f) is --format"},
		{[]string{"consume", "a", "--from", "yesterday"}, `--from "yesterday" is not understood`},
		{[]string{"consume", "a", "--format", "%s", "-o", "json"}, "--format and -o json do not go together"},
		{[]string{"consume", "a", "-n", "-1"}, "-n -1: the count cannot be negative; give 1 or more"},
		{[]string{"consume", "a", "-p", "x"}, `--partition "x"`},
		{[]string{"produce"}, "accepts 1 arg"},
		{[]string{"produce", "t", "-k", ""}, "the key separator is empty"},
		{[]string{"produce", "t", "--partition", "-2"}, `--partition "-2": want a partition number, 0 or more`},
		{[]string{"produce", "t", "--partition", "x"}, `--partition "x": want a partition number, 0 or more`},
		{[]string{"produce", "t", "-k", `\n`}, "never matches"},
		{[]string{"produce", "t", "-H", "x"}, "key=value"},
		{[]string{"produce", "t", "--compression", "lzma"}, `--compression "lzma"`},
	} {
		_, _, err := run(bad.args[0], bad.args[1:]...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want %q", bad.args, err, bad.want)
		}
	}
}

// consume and produce complete topic names; produce takes one topic, so
// nothing is offered after it.
func TestConsumeProduceCompletion(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	for _, name := range []string{"orders", "orders.dlt", "users"} {
		devclustertest.CreateTopic(t, adm, name, 1, nil)
	}
	_, out, _ := run(t, c, "", false, "__complete", "consume", "orders", "")
	if got := completions(t, out); strings.Join(got, ",") != "orders.dlt,users" {
		t.Errorf("consume orders <TAB>: %q", got)
	}
	_, out, _ = run(t, c, "", false, "__complete", "produce", "us")
	if got := completions(t, out); strings.Join(got, ",") != "users" {
		t.Errorf("produce us<TAB>: %q", got)
	}
	_, out, _ = run(t, c, "", false, "__complete", "produce", "users", "")
	if got := completions(t, out); len(got) != 0 {
		t.Errorf("produce users <TAB>: %q, want nothing", got)
	}
}
