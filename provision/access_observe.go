package provision

import (
	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
)

// AccessParts returns what the file's access sections need read: ACLs for
// acls:, users for users:, quotas for quotas:; managedPrincipals alone reads
// everything (they are pruned across all three).
func AccessParts(f *topology.File) int {
	parts := 0
	if f.Declares(topology.SectionACLs) {
		parts |= observe.ReadACLs
	}
	if f.Declares(topology.SectionUsers) {
		parts |= observe.ReadUsers
	}
	if f.Declares(topology.SectionQuotas) {
		parts |= observe.ReadQuotas
	}
	return parts
}
