package cli

import (
	"github.com/kctl/kctl/topology"
)

// selfPrincipal returns the principal kctl connects as ("User:admin") when
// it authenticates with a SASL user, else "". Plans never strip it of the
// rights it needs to apply.
func selfPrincipal(f *Factory, file *topology.File) string {
	s, err := f.Settings(file.Cluster.Brokers, file.Path)
	if err != nil || s.SASL.Mechanism == "" || s.SASL.User == "" {
		return ""
	}
	return "User:" + s.SASL.User
}

// accessCounts is what validate says a file's access sections declare:
// exact ACLs (shorthands expanded), SCRAM credentials and quotas.
type accessCounts struct {
	ACLs   int `json:"acls" yaml:"acls"`
	Users  int `json:"users" yaml:"users"`
	Quotas int `json:"quotas" yaml:"quotas"`
}
