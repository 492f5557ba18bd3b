package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/kafka"
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
	// sections are the access sections the file has (topology.SectionACLs,
	// …): the text line counts only those.
	sections []string
}

// startEmbedded starts smoke's embedded cluster: plain, or with --acls
// enforcing ACLs with a super user "admin" of a random password, which it
// returns as the SASL settings smoke connects with.
func (o *SmokeOptions) startEmbedded() (*devcluster.Cluster, kafka.SASL, error) {
	if !o.ACLs {
		c, err := devcluster.Start(devcluster.Options{})
		return c, kafka.SASL{}, err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, kafka.SASL{}, fmt.Errorf("generate the super user's password: %w", err)
	}
	pw := hex.EncodeToString(b)
	c, err := devcluster.Start(devcluster.Options{SASLUser: "admin", SASLPassword: pw, ACLs: true})
	return c, kafka.SASL{Mechanism: "SCRAM-SHA-256", User: "admin", Password: pw}, err
}
