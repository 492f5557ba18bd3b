package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
)

// ExportOptions is `kctl export`.
type ExportOptions struct {
	f               *Factory
	Patterns        []string
	All             bool
	ManagedPrefixes []string
	// File is the file to write (-f); "" or "-" is stdout.
	File  string
	Force bool
	// Access, NoAccess: --access, --no-access (see accessWanted).
	Access, NoAccess bool
}

// accessWanted reports whether the cluster's access is exported: by
// default for a whole-cluster export, with topic patterns only with
// --access; never with --no-access.
func (o *ExportOptions) accessWanted() bool {
	if o.NoAccess {
		return false
	}
	return o.Access || len(o.Patterns) == 0
}

// NewCmdExport builds `kctl export [TOPIC|PREFIX*...] [--all]
// [--managed-prefix P] [-f FILE] [--force]`.
func NewCmdExport(f *Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{f: f}
	cmd := &cobra.Command{
		Use:   "export [TOPIC|PREFIX*...] [-f FILE]",
		Short: "Write a topics.yaml for the live cluster's topics and access (adopt an existing cluster)",
		Long: `Read the cluster (one Metadata and one DescribeConfigs request, whatever the number of topics)
and write a topics.yaml that declares its topics, or those named (TOPIC) or under a prefix
(PREFIX*): partitions, replication factor, and only the configs set on the topic itself
(dynamic topic configs) in the file's units (retention.ms: 7d, segment.bytes: 512MiB), never
broker defaults. What every exported topic shares goes to defaults:; topics are sorted by name.
Internal topics (__*, _schemas, _confluent*, connect-*) only with --all.

The contract: on the same cluster 'kctl plan -f FILE --detailed-exitcode' exits 0, and applied
to an empty cluster the file recreates the same partitions, replication factors and configs.
A topic whose partitions have different replica counts is written with the most common count
and a comment; configs kctl cannot validate are listed on stderr (vendor ones exported, unknown
ones written as comments).

Access: a whole-cluster export also writes the cluster's SCRAM users (users:), ACLs (acls:,
as producer:/consumer: shorthands where they expand to exactly a principal's ACLs, the others
in the long form) and client quotas (quotas:), read with one request each while the topics are
read; principals with ACLs or quotas but no SCRAM user go to managedPrincipals. kctl cannot
read passwords: each user's passwordFrom names an environment variable, KCTL_PASSWORD_<USER>
(listed on stderr), which apply reads only to create the user or with --rotate-passwords, so
the plan on the same cluster needs none. A cluster without an authorizer has no ACLs: they are
left out with a note. With TOPIC or PREFIX* arguments access is exported only with --access;
--no-access exports topics only.

--managed-prefix P writes managedPrefixes: [P]; it is refused (nothing written) when P covers
live topics the export leaves out, since plan --prune would then delete them: name them too
(or export P*), or drop the prefix.

-f/--file names the file to write; without it, or with -f -, the file goes to stdout. An
existing file is overwritten only with --force. A topics.yaml is YAML: -o is the output format
as everywhere, and only text (the default) and yaml are accepted; both write the file.`,
		Example: `  kctl export -f topics.yaml
  kctl export 'user.*' --managed-prefix user. -f topics.yaml
  kctl export orders payments > topics.yaml
  kctl export --all -f everything.yaml --force
  kctl export --no-access -f topics.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Patterns = args
			if opts.Access && opts.NoAccess {
				return &FlagError{Err: errors.New("--access and --no-access contradict each other: give one")}
			}
			if err := checkExportOutput(f, opts.File); err != nil {
				return err
			}
			for _, p := range opts.ManagedPrefixes {
				if !prefixRE().MatchString(p) {
					return &FlagError{Err: fmt.Errorf("--managed-prefix %q: a prefix of topic names, using only a-z, A-Z, 0-9, '.', '_' and '-', e.g. --managed-prefix user.", p)}
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExport(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.File, "file", "f", "", "`FILE` to write (default, or -, stdout)")
	fl.BoolVar(&opts.All, "all", false, "include internal topics (__*, _schemas, _confluent*, connect-*)")
	fl.StringSliceVar(&opts.ManagedPrefixes, "managed-prefix", nil, "write managedPrefixes: P (repeatable, or comma-separated)")
	fl.BoolVar(&opts.Force, "force", false, "overwrite the -f file if it exists")
	fl.BoolVar(&opts.Access, "access", false, "write the cluster's users, ACLs and quotas even with TOPIC arguments (the default without)")
	fl.BoolVar(&opts.NoAccess, "no-access", false, "write topics only: no users, ACLs or quotas")
	return cmd
}

// prefixRE is compiled on first use, not at start-up (issue 21).
var prefixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]+$`) })

// checkExportOutput refuses -o json (a topics.yaml is YAML) and a
// directory as the -f file.
func checkExportOutput(f *Factory, file string) error {
	if format, err := f.Format(); err == nil && format == view.JSON {
		return &FlagError{Err: errors.New("-o json: export writes a topics.yaml, which is YAML: leave -o out (or give -o yaml)")}
	}
	if file != "" && file != "-" {
		if st, err := os.Stat(file); err == nil && st.IsDir() {
			return &FlagError{Err: fmt.Errorf("-f %s is a directory: give a file, e.g. -f %s", file, filepath.Join(file, "topics.yaml"))}
		}
	}
	return nil
}

func runExport(ctx context.Context, o *ExportOptions) error {
	f := o.f
	toStdout := o.File == "" || o.File == "-"
	if !toStdout && !o.Force {
		if _, err := os.Stat(o.File); err == nil {
			return fmt.Errorf("%s exists: kctl export does not overwrite it without --force (or write elsewhere with -f FILE); nothing was written", o.File)
		}
	}
	c, err := f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	rctx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	ex, err := provision.ExportTopics(rctx, c.Client, provision.ExportOptions{Patterns: o.Patterns, All: o.All, ManagedPrefixes: o.ManagedPrefixes, Access: o.accessWanted(), Brokers: len(o.Patterns) == 0})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ex.Spec.Encode(&buf); err != nil {
		return err
	}
	name := o.File
	if toStdout {
		name = "(stdout)"
	}
	// The exported file is checked with the same parser validate uses.
	_, diags := topology.Parse(name, buf.Bytes())
	if toStdout {
		if _, err := f.IO.Out.Write(buf.Bytes()); err != nil {
			return err
		}
	} else if err := writeExport(o.File, buf.Bytes(), o.Force); err != nil {
		return err
	}
	writeExportNotes(f, ex)
	writeAccessNotes(f, ex.Access)
	// Only its errors: its warnings repeat the notes above (vendor
	// configs) or are validate's to give.
	writeDiagnostics(f.IO.ErrOut, f.stderrStyles(), diags.Errors())
	if !toStdout {
		internal := ""
		if ex.Internal > 0 {
			internal = fmt.Sprintf(" (%s left out; --all includes them)", human.Plural(ex.Internal, "internal topic"))
		}
		fmt.Fprintf(f.IO.ErrOut, "Exported %s from cluster %q to %s%s.\n", exportedWhat(ex), ex.ClusterID, o.File, internal)
	}
	if len(ex.Failed) > 0 {
		var names []string
		for _, fl := range ex.Failed {
			names = append(names, fl.Topic)
		}
		return fmt.Errorf("%s could not be read whole (%s; see the warnings above): the file is incomplete for them", human.Plural(len(ex.Failed), "topic"), strings.Join(names, ", "))
	}
	if ax := ex.Access; ax != nil && len(ax.Failed) > 0 {
		var parts []string
		for _, p := range ax.Failed {
			parts = append(parts, p.Part)
		}
		return fmt.Errorf("the cluster's %s could not be read (see the warnings above): the file lacks them; connect as a principal allowed to describe them, or export topics only with --no-access", strings.Join(parts, ", "))
	}
	if n := len(diags.Errors()); n > 0 {
		return fmt.Errorf("the exported file has %s (above): the cluster holds topics kctl validate refuses; fix the file or the cluster", human.Plural(n, "error"))
	}
	return nil
}

// writeExportNotes lists on stderr what the operator must know: configs
// kctl cannot validate, mixed replica counts, topics not read whole.
func writeExportNotes(f *Factory, ex *provision.Export) {
	for _, u := range ex.Unchecked {
		what := "exported"
		if u.Commented {
			what = "written as a comment"
		}
		val := ""
		if u.Value != "" {
			val = " = " + u.Value
		}
		f.Warnf("topic %s: config %s%s %s: %s", u.Topic, u.Name, val, what, u.Why)
	}
	for _, t := range ex.Spec.Topics {
		for _, m := range ex.MixedReplicas {
			if m == t.Name {
				f.Warnf("topic %s: %s", t.Name, firstLine(t.Comment))
			}
		}
	}
	for _, n := range ex.BrokerNotes {
		f.Warnf("%s", n)
	}
	for _, fl := range ex.Failed {
		what := "written without configs"
		if fl.LeftOut {
			what = "left out"
		}
		f.Warnf("topic %s %s: %s", fl.Topic, what, fl.Error)
	}
}

// writeAccessNotes says on stderr what the file's access sections lack:
// parts not exported, entries left out, and where passwords come from.
func writeAccessNotes(f *Factory, ax *provision.AccessExport) {
	if ax == nil {
		return
	}
	for _, p := range ax.Skipped {
		fmt.Fprintf(f.IO.ErrOut, "note: %s not exported: %s; the file has topics, users and quotas.\n", p.Part, p.Error)
	}
	for _, p := range ax.Failed {
		f.Warnf("%s not exported: %s", p.Part, p.Error)
	}
	for _, l := range ax.LeftOut {
		prune := ""
		if l.Pruned {
			prune = " (kctl apply --prune with this file would delete it: its user is declared)"
		}
		f.Warnf("%s %s left out: %s%s", l.Kind, l.Name, l.Why, prune)
	}
	if len(ax.PasswordEnvs) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "note: kctl cannot read passwords: the file's %s read theirs from %s, needed only to create them (another cluster) or with --rotate-passwords.\n",
			human.Plural(ax.Users, "SCRAM user"), strings.Join(ax.PasswordEnvs, ", "))
	}
}

// exportedWhat is "3 topics", or with access "3 topics, 2 SCRAM users,
// 9 ACLs and 1 client quota".
func exportedWhat(ex *provision.Export) string {
	topics := human.Plural(ex.Topics, "topic")
	ax := ex.Access
	if ax == nil || ax.Users+ax.ACLs+ax.Quotas == 0 {
		return topics
	}
	return fmt.Sprintf("%s, %s, %s and %s", topics, human.Plural(ax.Users, "SCRAM user"), human.Plural(ax.ACLs, "ACL"), human.Plural(ax.Quotas, "client quota"))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// writeExport writes data to path: without force only when path does not
// exist (O_EXCL, so a file created meanwhile is not overwritten either);
// with force through a temporary file renamed over it.
func writeExport(path string, data []byte, force bool) error {
	if !force {
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: kctl export does not overwrite it without --force; nothing was written", path)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if _, err := io.Copy(fh, bytes.NewReader(data)); err != nil {
			fh.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
