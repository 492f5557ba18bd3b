package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kctl/kctl/internal/platform/registryd"
	"github.com/spf13/cobra"
)

// DefaultRegistryAddr is where cluster up serves its Schema Registry.
const DefaultRegistryAddr = "127.0.0.1:18081"

// clusterRegistry is cluster up's --registry-addr / --no-registry.
type clusterRegistry struct {
	Addr    string
	addrSet bool
	Off     bool
	srv     *registryd.Server
}

func (r *clusterRegistry) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.Addr, "registry-addr", DefaultRegistryAddr, "where the embedded Schema Registry listens (`HOST:PORT`; port 0 picks a free one)")
	cmd.Flags().BoolVar(&r.Off, "no-registry", false, "do not serve a Schema Registry")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		r.addrSet = c.Flags().Changed("registry-addr")
		if r.addrSet && r.Off {
			return &FlagError{Err: errors.New("--registry-addr and --no-registry contradict each other: choose where the registry listens, or turn it off")}
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// start serves the registry (unless --no-registry), its journal in dataDir
// ("" keeps it in memory). When the broker ports are picked by the kernel
// (--ports with a 0) and --registry-addr is not given, so is the registry's.
func (r *clusterRegistry) start(dataDir, ports string) (*clusterRegistry, error) {
	if r.Off {
		return r, nil
	}
	addr := r.Addr
	if !r.addrSet && strings.Contains(","+strings.ReplaceAll(ports, " ", "")+",", ",0,") {
		addr = "127.0.0.1:0"
	}
	srv, err := registryd.New(dataDir)
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(addr); err != nil {
		srv.Close()
		return nil, err
	}
	r.srv = srv
	return r, nil
}

func (r *clusterRegistry) banner(w io.Writer) {
	if r.srv == nil {
		fmt.Fprintln(w, "schema registry: off (--no-registry)")
		return
	}
	fmt.Fprintf(w, "schema registry: %s\n", r.srv.URL())
	fmt.Fprintf(w, "  export KCTL_REGISTRY=%s\n", r.srv.URL())
}

// Close stops the registry (twice is fine).
func (r *clusterRegistry) Close() {
	if r.srv != nil {
		r.srv.Close()
	}
}
