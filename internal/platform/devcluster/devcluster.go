// Package devcluster runs the embedded Kafka cluster: franz-go's kfake with
// three brokers on 127.0.0.1. kfake speaks the real wire protocol but does
// not replicate, validate topic configs or reassign partitions (docs/design.md §7).
package devcluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/kctl/kctl/internal/platform/lockfile"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultPorts are the original deployment's broker ports.
var DefaultPorts = []int{9092, 19092, 29092}

// Options configure Start. Zero values give an ephemeral 3-broker cluster on
// random free ports.
type Options struct {
	Ports   []int  // one per broker; 0 picks a free port; nil means 3 free ports
	DataDir string // "" keeps everything in memory
	// ClusterID, when set, is the cluster's ID. Otherwise a cluster gets a
	// random one like Kafka's (NewClusterID), kept in DataDir/cluster.id
	// across restarts; an in-memory cluster gets a fresh one each start.
	ClusterID string
	// SASL, when User is set, requires SCRAM-SHA-256/512 (and PLAIN) with this user.
	SASLUser, SASLPassword string
	// ACLs enforces ACLs (kfake's EnableACLs): SASLUser is the super user,
	// every other principal needs ACLs. It needs SASLUser.
	ACLs   bool
	TLS    *tls.Config
	Logger *slog.Logger
	Extra  []kfake.Opt // test hooks
}

// Cluster is a running embedded cluster.
type Cluster struct {
	*kfake.Cluster
	brokers []string
	id      string
	lock    *lockfile.Lock // held on DataDir while the cluster runs
}

// ID returns the cluster ID the cluster reports.
func (c *Cluster) ID() string { return c.id }

// Close stops the cluster and releases its data directory.
func (c *Cluster) Close() {
	c.Cluster.Close()
	c.lock.Release()
}

// DataDirInUseError says another running cluster holds the data directory.
type DataDirInUseError struct {
	Dir, Holder string
}

func (e *DataDirInUseError) Error() string {
	return fmt.Sprintf("data dir %s is in use by another running cluster (%s): stop it, or use another --data-dir or --ephemeral", e.Dir, e.Holder)
}

// lockDataDir takes an exclusive lock on dir/kctl.lock so that two clusters
// never write one directory (internal/platform/lockfile: the kernel drops it when
// the process dies). It returns a *DataDirInUseError when another process
// holds it.
func lockDataDir(dir string) (*lockfile.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	l, err := lockfile.Acquire(filepath.Join(dir, "kctl.lock"))
	var inUse *lockfile.InUseError
	if errors.As(err, &inUse) {
		return nil, &DataDirInUseError{Dir: dir, Holder: inUse.Holder.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return l, nil
}

// PortInUseError names a port another process holds.
type PortInUseError struct {
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d is already in use (is another cluster running?): pick free ports with --ports, e.g. --ports 9192,19192,29192", e.Port)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Start starts the cluster. It returns a *PortInUseError when a port is
// taken, and any other start-up error with context.
func Start(o Options) (*Cluster, error) {
	ports := o.Ports
	if len(ports) == 0 {
		ports = []int{0, 0, 0}
	}
	// Check fixed ports first so the error names the port; kfake's own
	// error does not.
	for _, p := range ports {
		if p == 0 {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, &PortInUseError{Port: p, Err: err}
			}
			return nil, fmt.Errorf("listen on port %d: %w", p, err)
		}
		ln.Close()
	}
	var lock *lockfile.Lock
	if o.DataDir != "" {
		l, err := lockDataDir(o.DataDir)
		if err != nil {
			return nil, err
		}
		lock = l
	}
	release := func() { lock.Release() }
	id := o.ClusterID
	if id == "" {
		var err error
		if id, err = clusterID(o.DataDir); err != nil {
			release()
			return nil, err
		}
	}
	var scram *scramStore
	if o.SASLUser != "" {
		scram = newScramStore()
		if o.DataDir != "" {
			if err := scram.loadKfake(o.DataDir); err != nil {
				release()
				return nil, err
			}
		}
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(len(ports)),
		kfake.Ports(ports...),
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, port, _ := net.SplitHostPort(addr)
			ln, err := net.Listen(network, "127.0.0.1:"+port)
			if err != nil {
				return nil, err
			}
			// TLS here rather than kfake.TLS, so that the SASL shim
			// (saslshim.go) sees the plaintext of SASL_SSL too.
			if o.TLS != nil {
				ln = tls.NewListener(ln, o.TLS)
			}
			if scram != nil {
				ln = saslShimListener{Listener: ln, scram: scram}
			}
			return ln, nil
		}),
		kfake.DefaultNumPartitions(1),
		kfake.ClusterID(id),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if o.SASLUser != "" {
		opts = append(opts, kfake.EnableSASL(),
			kfake.Superuser("SCRAM-SHA-256", o.SASLUser, o.SASLPassword),
			kfake.Superuser("SCRAM-SHA-512", o.SASLUser, o.SASLPassword),
			kfake.Superuser("PLAIN", o.SASLUser, o.SASLPassword))
	}
	if o.ACLs {
		if o.SASLUser == "" {
			release()
			return nil, errors.New("ACLs need a SASL super user: give --sasl-user (and KCTL_SASL_PASSWORD or --sasl-password-file) with --acls")
		}
		opts = append(opts, kfake.EnableACLs())
	}
	if o.Logger != nil {
		opts = append(opts, kfake.WithLogger(logger{o.Logger}))
	}
	opts = append(opts, o.Extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		release()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Port: portFrom(err.Error()), Err: err}
		}
		if o.DataDir != "" {
			return nil, fmt.Errorf("start embedded cluster from data dir %s: %w (if its data is damaged, move the directory aside or start with --ephemeral)", o.DataDir, err)
		}
		return nil, fmt.Errorf("start embedded cluster: %w", err)
	}
	addrs := c.ListenAddrs()
	if scram != nil {
		c.ControlKey(int16(kmsg.AlterUserSCRAMCredentials), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			scram.observe(req)
			return nil, nil, false // kfake handles it
		})
	}
	return &Cluster{Cluster: c, brokers: addrs, id: id, lock: lock}, nil
}

// Brokers returns the bootstrap addresses, host:port each.
func (c *Cluster) Brokers() []string { return append([]string(nil), c.brokers...) }

// Bootstrap returns the brokers joined by commas, as -b takes them.
func (c *Cluster) Bootstrap() string { return strings.Join(c.brokers, ",") }

func portFrom(msg string) int {
	i := strings.Index(msg, "127.0.0.1:")
	if i < 0 {
		return 0
	}
	rest := msg[i+len("127.0.0.1:"):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	p, _ := strconv.Atoi(rest[:j])
	return p
}

type logger struct{ l *slog.Logger }

func (l logger) Logf(level kfake.LogLevel, msg string, args ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	case kfake.LogLevelInfo:
		lvl = slog.LevelInfo
	}
	if !l.l.Enabled(context.Background(), lvl) {
		return
	}
	l.l.Log(context.Background(), lvl, "kfake: "+fmt.Sprintf(msg, args...))
}
