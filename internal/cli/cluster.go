package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/spf13/cobra"
)

// NewCmdCluster is `kctl cluster`.
func NewCmdCluster(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Run the embedded 3-broker Kafka cluster",
		Args:  noArgs,
	}
	cmd.AddCommand(NewCmdClusterUp(f, nil))
	return cmd
}

// ClusterUpOptions is `kctl cluster up`.
type ClusterUpOptions struct {
	f         *Factory
	Ports     string
	Brokers   int
	DataDir   string
	Ephemeral bool
	ACLs      bool
	// Registry: the embedded Schema Registry (cluster_registry.go).
	Registry clusterRegistry
	// Started, when set, is called once the cluster serves (tests).
	Started func(*devcluster.Cluster)
}

// NewCmdClusterUp builds `kctl cluster up`.
func NewCmdClusterUp(f *Factory, runF func(*ClusterUpOptions) error) *cobra.Command {
	opts := &ClusterUpOptions{f: f}
	cmd := &cobra.Command{
		Use:         "up",
		Annotations: longRunning,
		Short:       "Start an embedded Kafka cluster (3 brokers; --brokers N) on 127.0.0.1 until Ctrl-C",
		Long: `Start franz-go's kfake as a cluster of --brokers brokers (default 3) on 127.0.0.1 (ports 9092, 19092,
29092, … by default; --ports gives one port per broker).
It speaks the Kafka wire protocol, so kcat and any client work against it. It does not replicate
(ISR always equals the replicas; min.insync.replicas is not enforced) and does not validate topic
names or configs: kctl validates client-side.

With --sasl-user (password from KCTL_SASL_PASSWORD or --sasl-password-file) it requires SASL
SCRAM-SHA-256/512 or PLAIN; with --tls-cert and --tls-key it serves TLS. With --acls (and
--sasl-user) it enforces ACLs: the SASL user is the super user, every other principal may do only
what ACLs allow (create users and ACLs with kctl apply). SCRAM logins announce each user's stored
iterations, as Kafka does, and every maintained client logs in (kcat/librdkafka, kafka-python,
franz-go).

Each cluster has its own cluster ID, like Kafka's (22 characters of base64), kept in the data dir
across restarts (file cluster.id); --ephemeral gets a new one each start. cluster: {id: …} in
topics.yaml pins a file to one cluster.

Beside it runs a Schema Registry speaking the Confluent REST API on --registry-addr (default
127.0.0.1:18081; a free port when --ports has a 0), with Avro compatibility checked for real and its
subjects kept in the data dir (schema-registry.jsonl); --no-registry turns it off.`,
		Example: `  kctl cluster up
  kctl cluster up --ephemeral --ports 9192,19192,29192
  KCTL_SASL_PASSWORD=secret kctl cluster up --ephemeral --sasl-user admin
  KCTL_SASL_PASSWORD=secret kctl cluster up --ephemeral --sasl-mechanism scram-sha-256 --sasl-user admin --acls`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("data-dir") && opts.Ephemeral {
				return &FlagError{Err: errors.New("--data-dir and --ephemeral contradict each other: keep data in a directory, or in memory only")}
			}
			if runF != nil {
				return runF(opts)
			}
			return runClusterUp(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Ports, "ports", "", "one port per broker, 0 picks a free port (default 9092,19092,29092,… one per --brokers)")
	cmd.Flags().IntVar(&opts.Brokers, "brokers", 3, "how many brokers (1-6 with the default ports; any number with --ports)")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "where the cluster keeps its data (default $XDG_STATE_HOME/kctl/cluster)")
	cmd.Flags().BoolVar(&opts.Ephemeral, "ephemeral", false, "keep everything in memory; nothing is written to disk")
	cmd.Flags().BoolVar(&opts.ACLs, "acls", false, "enforce ACLs, with the --sasl-user as super user")
	opts.Registry.addFlags(cmd)
	return cmd
}

// ParsePorts parses "9092,19092,29092" (3 brokers). It returns an error naming the bad entry.
func ParsePorts(s string) ([]int, error) { return parsePortsN(s, 3) }

// parsePortsN parses a --ports list that must give n ports.
func parsePortsN(s string, n int) ([]int, error) {
	var ports []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return nil, fmt.Errorf("--ports: %q is not a port (0-65535); e.g. --ports 9092,19092,29092", p)
		}
		ports = append(ports, n)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p != 0 && seen[p] {
			return nil, fmt.Errorf("--ports: %d is given twice; each broker needs its own port, e.g. --ports 9092,19092,29092", p)
		}
		seen[p] = true
	}
	if len(ports) != n {
		return nil, fmt.Errorf("--ports: give %d ports, one per broker (got %d), e.g. --ports %s or --ports %s for free ports", n, len(ports), defaultPortList(n), strings.TrimSuffix(strings.Repeat("0,", n), ","))
	}
	return ports, nil
}

// StateDir returns $XDG_STATE_HOME/kctl, falling back to ~/.local/state/kctl.
func StateDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "kctl")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "kctl")
	}
	return ".kctl-state"
}

func (o *ClusterUpOptions) devOptions() (devcluster.Options, error) {
	f := o.f
	ports, err := brokerPorts(o.Brokers, o.Ports)
	if err != nil {
		return devcluster.Options{}, &FlagError{Err: err}
	}
	do := devcluster.Options{Ports: ports}
	if !o.Ephemeral {
		do.DataDir = o.DataDir
		if do.DataDir == "" {
			do.DataDir = filepath.Join(StateDir(f.Getenv), "cluster")
		}
	}
	if o.ACLs && f.Global.SASL.User == "" {
		return do, &FlagError{Err: errors.New("cluster up: --acls needs a super user: add --sasl-user admin (and KCTL_SASL_PASSWORD or --sasl-password-file)")}
	}
	do.ACLs = o.ACLs
	if f.Global.SASL.User == "" && f.Global.SASL.Mechanism != "" {
		return do, &FlagError{Err: errors.New("cluster up: --sasl-mechanism needs --sasl-user (and KCTL_SASL_PASSWORD or --sasl-password-file); the cluster then takes SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN")}
	}
	if u := f.Global.SASL.User; u != "" {
		pw := f.Getenv("KCTL_SASL_PASSWORD")
		if pf := f.Global.SASL.PasswordFile; pf != "" {
			b, err := os.ReadFile(pf)
			if err != nil {
				return do, fmt.Errorf("read --sasl-password-file: %w", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		if pw == "" {
			return do, errors.New("--sasl-user needs a password: set KCTL_SASL_PASSWORD or --sasl-password-file")
		}
		do.SASLUser, do.SASLPassword = u, pw
	}
	if c, k := f.Global.TLS.CertFile, f.Global.TLS.KeyFile; c != "" || k != "" {
		if c == "" || k == "" {
			return do, &FlagError{Err: errors.New("--tls-cert and --tls-key go together")}
		}
		cert, err := tls.LoadX509KeyPair(c, k)
		if err != nil {
			return do, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
		}
		do.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if f.Global.Verbose {
		do.Logger = f.Logger()
	}
	return do, nil
}

func runClusterUp(ctx context.Context, o *ClusterUpOptions) error {
	do, err := o.devOptions()
	if err != nil {
		return err
	}
	c, err := devcluster.Start(do)
	if err != nil {
		return err
	}
	defer c.Close()
	reg, err := o.Registry.start(do.DataDir, o.Ports)
	if err != nil {
		return err
	}
	defer reg.Close()
	out := o.f.IO.Out
	storage := "in memory (--ephemeral)"
	if do.DataDir != "" {
		storage = do.DataDir
	}
	security := "PLAINTEXT"
	switch {
	case do.TLS != nil && do.SASLUser != "":
		security = "SASL_SSL (SCRAM-SHA-256/512, PLAIN)"
	case do.TLS != nil:
		security = "SSL"
	case do.SASLUser != "":
		security = "SASL_PLAINTEXT (SCRAM-SHA-256/512, PLAIN)"
	}
	if do.ACLs {
		security += fmt.Sprintf(", ACLs enforced (super user %s)", do.SASLUser)
	}
	fmt.Fprintf(out, "embedded cluster: %d brokers (kfake), %s, data %s\n", len(c.Brokers()), security, storage)
	fmt.Fprintf(out, "cluster ID: %s\n", c.ID())
	fmt.Fprintf(out, "bootstrap: %s\n", c.Bootstrap())
	fmt.Fprintf(out, "  export KCTL_BROKERS=%s\n", c.Bootstrap())
	reg.banner(out)
	fmt.Fprintln(out, "ready (Ctrl-C to stop)")
	if o.Started != nil {
		o.Started(c)
	}
	<-ctx.Done()
	fmt.Fprintln(out, "stopping embedded cluster")
	reg.Close()
	c.Close()
	fmt.Fprintln(out, "stopped")
	return nil
}
