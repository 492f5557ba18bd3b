package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Access is the file's access sections (docs/design.md §3): SCRAM users,
// ACLs and client quotas, planned and applied like topics. It is embedded
// in File, so its fields are top-level keys of topics.yaml.
type Access struct {
	// ManagedPrincipals are principals ("User:name") whose ACLs, SCRAM
	// credentials and quotas --prune may delete, besides the users the
	// file declares.
	ManagedPrincipals []string `json:"managedPrincipals,omitempty" yaml:"managedPrincipals,omitempty"`
	// Users are the SCRAM credentials, in file order.
	Users []User `json:"users,omitempty" yaml:"users,omitempty"`
	// ACLs are the exact ACL entries, shorthands expanded, in file order,
	// without duplicates.
	ACLs []ACL `json:"acls,omitempty" yaml:"acls,omitempty"`
	// Quotas are the client quotas, in file order.
	Quotas []Quota `json:"quotas,omitempty" yaml:"quotas,omitempty"`
	// AccessDeclared is true when the file has any access section (even an
	// empty one): only then does plan read and manage the cluster's access.
	AccessDeclared bool `json:"-" yaml:"-"`
	// Sections are the access sections the file has, in SectionX names.
	Sections []string `json:"-" yaml:"-"`
}

// The access sections of topics.yaml.
const (
	SectionUsers             = "users"
	SectionACLs              = "acls"
	SectionQuotas            = "quotas"
	SectionManagedPrincipals = "managedPrincipals"
)

// Declares reports whether the file has section (SectionUsers, …), even
// empty. managedPrincipals alone declares the three others: the file then
// manages (and --prune cleans) all of a principal's access.
func (a *Access) Declares(section string) bool {
	return slices.Contains(a.Sections, section) || slices.Contains(a.Sections, SectionManagedPrincipals)
}

// HasAccess reports whether the file has any access section: users, acls,
// quotas or managedPrincipals.
func (a *Access) HasAccess() bool { return a.AccessDeclared }

// ManagesPrincipal reports whether principal ("User:name") is managed by
// the file: listed in managedPrincipals or a user it declares. Only managed
// principals' ACLs, credentials and quotas are ever pruned.
func (a *Access) ManagesPrincipal(principal string) bool {
	if slices.Contains(a.ManagedPrincipals, principal) {
		return true
	}
	for _, u := range a.Users {
		if "User:"+u.Name == principal {
			return true
		}
	}
	return false
}

// ManagedPrincipalSet returns the managed principals as a set: those in
// managedPrincipals and the declared users' (see ManagesPrincipal).
func (a *Access) ManagedPrincipalSet() map[string]bool {
	out := make(map[string]bool, len(a.ManagedPrincipals)+len(a.Users))
	for _, p := range a.ManagedPrincipals {
		out[p] = true
	}
	for _, u := range a.Users {
		out[u.Principal()] = true
	}
	return out
}

// SCRAM mechanisms as Kafka names them.
const (
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// SCRAM iteration bounds (Kafka's) and kctl's default.
const (
	DefaultScramIterations = 8192
	MinScramIterations     = 4096
	MaxScramIterations     = 16384
)

// User is one SCRAM credential: a user name and a mechanism.
type User struct {
	Name         string         `json:"name" yaml:"name"`
	Mechanism    string         `json:"mechanism" yaml:"mechanism"`
	Iterations   int32          `json:"iterations" yaml:"iterations"`
	PasswordFrom PasswordSource `json:"passwordFrom" yaml:"passwordFrom"`
	Pos          Pos            `json:"-" yaml:"-"`
}

// Principal is the user's Kafka principal, "User:name".
func (u User) Principal() string { return "User:" + u.Name }

// PasswordSource says where a password is read at apply time: an
// environment variable or a file. The password itself is never in the file.
type PasswordSource struct {
	Env string `json:"env,omitempty" yaml:"env,omitempty"`
	// File is the path as the topics file writes it; a relative one is
	// relative to the topics file's directory (Dir), not to the current
	// directory: see Path.
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	// Dir is the directory of the topics file that declares the source
	// (set by Load; "" resolves against the current directory).
	Dir string `json:"-" yaml:"-"`
}

// Path returns the file the password is read from: File itself when it is
// absolute (or Dir is unset), else File joined to Dir. "" for an env source.
func (s PasswordSource) Path() string {
	if s.File == "" || s.Dir == "" || filepath.IsAbs(s.File) {
		return s.File
	}
	return filepath.Join(s.Dir, s.File)
}

// String is how plans name the source: "ENV EMAIL_SVC_PASSWORD" or
// "file /run/secrets/email" (the resolved path, see Path).
func (s PasswordSource) String() string {
	if s.Env != "" {
		return "ENV " + s.Env
	}
	return "file " + s.Path()
}

// Read returns the password from its source (a file's trailing newline
// removed; the file is Path, so a relative one is found beside the topics
// file). It returns an error naming the variable or file and the fix
// when the variable is unset or empty, or the file unreadable or empty.
func (s PasswordSource) Read(user string, getenv func(string) string) (string, error) {
	if s.Env != "" {
		v := getenv(s.Env)
		if v == "" {
			return "", fmt.Errorf("password of user %q: environment variable %s is not set (or empty): export it, or change passwordFrom in the file", user, s.Env)
		}
		return v, nil
	}
	path := s.Path()
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			where := ""
			if path != s.File {
				where = fmt.Sprintf(" (%s is relative to the topics file's directory)", s.File)
			}
			return "", fmt.Errorf("password of user %q: file %s does not exist%s: create it, or change passwordFrom in the file", user, path, where)
		}
		return "", fmt.Errorf("password of user %q: read %s: %w", user, path, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("password of user %q: file %s is empty: write the password in it", user, path)
	}
	return v, nil
}

// ACL permissions.
const (
	Allow = "allow"
	Deny  = "deny"
)

// ACL resource pattern types.
const (
	PatternLiteral  = "literal"
	PatternPrefixed = "prefixed"
)

// ACL resource types, as the file writes them.
const (
	ResourceTopic           = "topic"
	ResourceGroup           = "group"
	ResourceCluster         = "cluster"
	ResourceTransactionalID = "transactionalId"
)

// ClusterResourceName is the one name of the cluster resource in Kafka.
const ClusterResourceName = "kafka-cluster"

// ACL is one exact ACL entry, as Kafka stores it.
type ACL struct {
	Principal    string `json:"principal" yaml:"principal"`
	Host         string `json:"host" yaml:"host"`
	Permission   string `json:"permission" yaml:"permission"` // allow | deny
	Operation    string `json:"operation" yaml:"operation"`   // read, write, describeConfigs, …
	ResourceType string `json:"resourceType" yaml:"resourceType"`
	ResourceName string `json:"resourceName" yaml:"resourceName"`
	Pattern      string `json:"pattern" yaml:"pattern"` // literal | prefixed
	// From says what in the file produced it: producer, consumer, allow or
	// deny ("" for ACLs read from a cluster).
	From string `json:"from,omitempty" yaml:"from,omitempty"`
	Pos  Pos    `json:"-" yaml:"-"`
}

// Key identifies the ACL: two ACLs with the same key are the same entry.
func (a ACL) Key() string {
	return strings.Join([]string{a.Principal, a.Host, a.Permission, a.Operation, a.ResourceType, a.Pattern, a.ResourceName}, "\x00")
}

// Resource is how plans write the resource: `topic user.signed-up`,
// `topic user.* (prefixed)`, `cluster`.
func (a ACL) Resource() string {
	if a.ResourceType == ResourceCluster && a.ResourceName == ClusterResourceName {
		return "cluster"
	}
	s := a.ResourceType + " " + a.ResourceName
	if a.Pattern == PatternPrefixed {
		s += "* (prefixed)"
	}
	return s
}

// String is one line: "User:email-service allow read on topic user.signed-up".
// The host is named only when it is not "*".
func (a ACL) String() string {
	s := fmt.Sprintf("%s %s %s on %s", a.Principal, a.Permission, a.Operation, a.Resource())
	if a.Host != "*" {
		s += " from host " + a.Host
	}
	return s
}

// Operations are the ACL operations in Kafka's order, as the file writes them.
var Operations = []string{"all", "read", "write", "create", "delete", "alter", "describe", "clusterAction", "describeConfigs", "alterConfigs", "idempotentWrite"}

// ResourceTypes are the ACL resource types kctl manages.
var ResourceTypes = []string{ResourceTopic, ResourceGroup, ResourceCluster, ResourceTransactionalID}

// validOps are the operations that mean something on each resource type
// (Kafka's AclCommand table).
var validOps = map[string][]string{
	ResourceTopic:           {"all", "read", "write", "create", "delete", "alter", "describe", "describeConfigs", "alterConfigs"},
	ResourceGroup:           {"all", "read", "delete", "describe"},
	ResourceCluster:         {"all", "create", "alter", "describe", "clusterAction", "describeConfigs", "alterConfigs", "idempotentWrite"},
	ResourceTransactionalID: {"all", "write", "describe"},
}

// canon folds case, '-' and '_' so that describe_configs, DESCRIBE-CONFIGS
// and describeConfigs are one name.
func canon(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
}

// NormalizeOperation returns the file spelling of an ACL operation given in
// any case, with or without '-'/'_', and false when it is not one.
func NormalizeOperation(s string) (string, bool) { return lookupName(s, Operations) }

// NormalizeResourceType returns the file spelling of a resource type
// (topic, group, cluster, transactionalId), and false when it is not one.
func NormalizeResourceType(s string) (string, bool) { return lookupName(s, ResourceTypes) }

func lookupName(s string, names []string) (string, bool) {
	c := canon(s)
	for _, n := range names {
		if canon(n) == c {
			return n, true
		}
	}
	return "", false
}

// ValidOperations returns the operations meaningful on resource type rt.
func ValidOperations(rt string) []string { return validOps[rt] }

// Quota keys as Kafka names them.
const (
	QuotaConsumerByteRate       = "consumer_byte_rate"
	QuotaProducerByteRate       = "producer_byte_rate"
	QuotaRequestPercentage      = "request_percentage"
	QuotaControllerMutationRate = "controller_mutation_rate"
)

// QuotaKeys maps the file's quota keys to Kafka's.
var QuotaKeys = map[string]string{
	"consumerByteRate":       QuotaConsumerByteRate,
	"producerByteRate":       QuotaProducerByteRate,
	"requestPercentage":      QuotaRequestPercentage,
	"controllerMutationRate": QuotaControllerMutationRate,
}

// QuotaEntity names who a quota applies to: a user, the default user, a
// client ID, or a user (or the default user) with a client ID.
type QuotaEntity struct {
	User        string `json:"user,omitempty" yaml:"user,omitempty"`
	DefaultUser bool   `json:"defaultUser,omitempty" yaml:"defaultUser,omitempty"`
	ClientID    string `json:"clientId,omitempty" yaml:"clientId,omitempty"`
}

// String is Kafka's way of writing the entity: "user=email-service",
// "user=<default>", "user=a, client-id=b", "client-id=b".
func (e QuotaEntity) String() string {
	var parts []string
	switch {
	case e.DefaultUser:
		parts = append(parts, "user=<default>")
	case e.User != "":
		parts = append(parts, "user="+e.User)
	}
	if e.ClientID != "" {
		parts = append(parts, "client-id="+e.ClientID)
	}
	return strings.Join(parts, ", ")
}

// Quota is one entity's client quotas; Values are by Kafka key
// (consumer_byte_rate, …) in bytes per second or percent.
type Quota struct {
	Entity QuotaEntity        `json:"entity" yaml:"entity"`
	Values map[string]float64 `json:"values" yaml:"values"`
	Pos    Pos                `json:"-" yaml:"-"`
}

// SortedQuotaKeys returns the keys of values in order.
func SortedQuotaKeys(values map[string]float64) []string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ShadowedBy reports whether deny d takes away what allow a grants: same
// principal (or d for User:*), host, resource type and operation (or d
// for all), and d's resource covers a's. Kafka checks deny first, so such
// an allow has no effect.
func (a ACL) ShadowedBy(d ACL) bool {
	if a.Permission != Allow || d.Permission != Deny {
		return false
	}
	if d.Principal != a.Principal && d.Principal != "User:*" {
		return false
	}
	if d.Host != "*" && d.Host != a.Host {
		return false
	}
	if d.ResourceType != a.ResourceType || (d.Operation != "all" && d.Operation != a.Operation) {
		return false
	}
	switch d.Pattern {
	case PatternLiteral:
		return d.ResourceName == "*" || (a.Pattern == PatternLiteral && d.ResourceName == a.ResourceName)
	case PatternPrefixed:
		return strings.HasPrefix(a.ResourceName, d.ResourceName)
	}
	return false
}
