package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// runWith executes kctl in-process with the cluster's brokers and extra
// environment variables.
func runWith(t *testing.T, c *devcluster.Cluster, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	all := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1"}
	for k, v := range env {
		all[k] = v
	}
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return all[k] })
	f.IsTerminal = func(any) bool { return false }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, f, args), out.String(), errOut.String()
}

const envFile = `defaults: {replicationFactor: 3, config: {min.insync.replicas: 2}}
topics:
  - {name: orders, partitions: 3}
environments:
  local: {defaults: {replicationFactor: 1, config: {min.insync.replicas: 1}}}
  staging: {topics: {orders: {partitions: 6}}}
  replicated: {}
`

// TestEnvSelection: --env wins over KCTL_ENV, which wins over the current
// context's env:; none of them on a file with environments is refused.
func TestEnvSelection(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, envFile)
	cfgHome := t.TempDir()
	cfg := filepath.Join(cfgHome, "kctl", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("current-context: laptop\ncontexts:\n  laptop: {brokers: ["+c.Bootstrap()+"], env: local}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"context", map[string]string{"XDG_CONFIG_HOME": cfgHome}, nil, "Environment: local\n"},
		{"KCTL_ENV over the context", map[string]string{"XDG_CONFIG_HOME": cfgHome, "KCTL_ENV": "staging"}, nil, "Environment: staging\n"},
		{"--env over KCTL_ENV", map[string]string{"XDG_CONFIG_HOME": cfgHome, "KCTL_ENV": "staging"}, []string{"--env", "replicated"}, "Environment: replicated\n"},
	} {
		code, out, errOut := runWith(t, c, tc.env, append([]string{"plan", "-f", path}, tc.args...)...)
		if code != ExitOK || !strings.HasPrefix(out, tc.want) {
			t.Errorf("%s: exit %d\n%s%s", tc.name, code, out, errOut)
		}
	}
	code, out, errOut := runWith(t, c, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, "apply", "-f", path, "--yes")
	if code != ExitError || out != "" || !strings.Contains(errOut, "defines environments (local, replicated, staging): choose one with --env NAME") {
		t.Errorf("no environment: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runWith(t, c, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, "plan", "-f", path, "--env", "staging", "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"environment": "staging"`) || !strings.Contains(out, `"to": 6`) {
		t.Errorf("staging JSON: exit %d\n%s", code, out)
	}
}

// TestExportOutputFlag: on export -f is the file, - is stdout, and -o is
// the output format as everywhere: yaml (or the default) writes the file,
// json and a file name given to -o are refused naming -f.
func TestExportOutputFlag(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders", 3, map[string]*string{"retention.ms": new("86400000")})
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	dir := t.TempDir()
	file := filepath.Join(dir, "out.yaml")

	for _, args := range [][]string{{"export", "-f", file}, {"export", "--file", file, "--force", "-o", "yaml"}} {
		code, out, errOut := runWith(t, c, env, args...)
		if code != ExitOK || out != "" || !strings.Contains(errOut, "Exported 1 topic from cluster") {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		f, diags, err := topology.Load(file)
		if err != nil || diags.HasErrors() || len(f.Topics) != 1 || f.Topics[0].Config["retention.ms"] != "86400000" || f.Topics[0].ReplicationFactor != 3 {
			t.Fatalf("%v: %v %v %+v", args, err, diags, f)
		}
	}
	code, out, _ := runWith(t, c, env, "export", "-f", "-")
	if code != ExitOK || !strings.Contains(out, "      retention.ms: 1d\n") {
		t.Errorf("-f -: exit %d\n%s", code, out)
	}
	for args, want := range map[string]string{
		"-o json":        "-o json: export writes a topics.yaml, which is YAML: leave -o out (or give -o yaml)",
		"-o out.yaml":    `unknown output format "out.yaml": use -o text, -o json or -o yaml; export writes its file with -f FILE: kctl export -f out.yaml`,
		"--output=x.yml": "kctl export -f x.yml",
	} {
		code, out, errOut := runWith(t, c, env, append([]string{"export"}, strings.Fields(args)...)...)
		if code != ExitError || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if _, err := os.Stat("out.yaml"); err == nil {
		t.Errorf("-o out.yaml wrote a file")
	}
	code, out, errOut := runWith(t, c, env, "export", "-f", dir)
	if code != ExitError || !strings.Contains(errOut, "is a directory") {
		t.Errorf("-f DIR: exit %d\n%s%s", code, out, errOut)
	}
	// The global -o is untouched for the other commands.
	code, out, _ = runWith(t, c, env, "plan", "-f", file, "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"changes": []`) {
		t.Errorf("plan -o json of the exported file: exit %d\n%s", code, out)
	}
}

// TestEnvCompletion: --env completes the environments of the -f file.
func TestEnvCompletion(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, envFile)
	code, out, errOut := runWith(t, c, nil, "__complete", "plan", "-f", path, "--env", "")
	if got := strings.Join(completions(t, out), ","); code != ExitOK || got != "local,replicated,staging" {
		t.Errorf("exit %d: %q %s", code, got, errOut)
	}
	_, out, _ = runWith(t, c, nil, "__complete", "validate", "-f", path, "--env", "st")
	if got := strings.Join(completions(t, out), ","); got != "staging" {
		t.Errorf("st: %q", got)
	}
}

// TestExportManagedPrefix: --managed-prefix sets managedPrefixes; a prefix
// no topic name can have is a usage error before kctl connects.
func TestExportManagedPrefix(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "user.a", 1, nil)
	code, out, errOut := runWith(t, c, nil, "export", "--managed-prefix", "user.,billing-")
	if code != ExitOK || !strings.Contains(out, "managedPrefixes: [user., billing-]\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runWith(t, c, nil, "export", "--managed-prefix", "a b")
	if code != ExitError || out != "" || !strings.Contains(errOut, `--managed-prefix "a b": a prefix of topic names`) {
		t.Errorf("bad prefix: exit %d\n%s%s", code, out, errOut)
	}
}

// TestExportAccessFlags: a whole-cluster export writes the cluster's
// access; --no-access and topic arguments (without --access) leave it
// out; --access with --no-access is a usage error; a cluster without an
// authorizer exports without ACLs and says so; a part that cannot be read
// fails the export after writing the file.
func TestExportAccessFlags(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 1, nil)
	ops := "ops"
	if _, err := adm.AlterClientQuotas(context.Background(), []kadm.AlterClientQuotaEntry{{
		Entity: kadm.ClientQuotaEntity{{Type: "user", Name: &ops}},
		Ops:    []kadm.AlterClientQuotaOp{{Key: topology.QuotaRequestPercentage, Value: 25}},
	}}); err != nil {
		t.Fatal(err)
	}
	const quota = "quotas:\n  - {user: ops, requestPercentage: 25}\n"
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"export"}, true},
		{[]string{"export", "--no-access"}, false},
		{[]string{"export", "orders"}, false},
		{[]string{"export", "orders", "--access"}, true},
	} {
		code, out, errOut := runWith(t, c, nil, tc.args...)
		if code != ExitOK || strings.Contains(out, quota) != tc.want || errOut != "" {
			t.Errorf("%v: exit %d, quota written %v\n%s%s", tc.args, code, !tc.want, out, errOut)
		}
	}
	if code, _, errOut := runWith(t, c, nil, "export", "--access", "--no-access"); code == ExitOK || !strings.Contains(errOut, "--access and --no-access contradict each other") {
		t.Errorf("both flags: exit %d %s", code, errOut)
	}

	refuse := func(key kmsg.Key, code int16) {
		c.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			switch resp := req.ResponseKind().(type) {
			case *kmsg.DescribeACLsResponse:
				resp.ErrorCode = code
				return resp, nil, true
			case *kmsg.DescribeUserSCRAMCredentialsResponse:
				resp.ErrorCode = code
				return resp, nil, true
			}
			return nil, nil, false
		})
	}
	refuse(kmsg.DescribeACLs, kerr.SecurityDisabled.Code)
	code, out, errOut := runWith(t, c, nil, "export")
	if code != ExitOK || !strings.Contains(out, quota) || !strings.Contains(out, "# Access: 0 SCRAM users, 0 ACLs and 1 client quota; acls not exported: the cluster has no authorizer") ||
		errOut != "note: acls not exported: the cluster has no authorizer (DescribeAcls: SECURITY_DISABLED), so it has no ACLs; the file has topics, users and quotas.\n" {
		t.Errorf("no authorizer: exit %d\n%s%s", code, out, errOut)
	}
	refuse(kmsg.DescribeUserSCRAMCredentials, kerr.ClusterAuthorizationFailed.Code)
	file := filepath.Join(t.TempDir(), "out.yaml")
	code, _, errOut = runWith(t, c, nil, "export", "-f", file)
	if code != ExitError || !strings.Contains(errOut, "warning: users not exported: describe SCRAM users: not authorized") ||
		!strings.Contains(errOut, "Error: the cluster's users could not be read (see the warnings above): the file lacks them; connect as a principal allowed to describe them, or export topics only with --no-access") {
		t.Errorf("users refused: exit %d\n%s", code, errOut)
	}
	if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), quota) {
		t.Errorf("the file was not written whole: %v\n%s", err, data)
	}
}
