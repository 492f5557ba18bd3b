package inspect

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ACLFilter narrows `kctl describe acls`.
type ACLFilter struct {
	// Principal keeps the ACLs of this principal ("User:x"; a bare name
	// means User:name).
	Principal string `json:"principal,omitempty" yaml:"principal,omitempty"`
	// Topic keeps the ACLs that apply to this topic: its literal name, "*"
	// and every prefix of it.
	Topic string `json:"topic,omitempty" yaml:"topic,omitempty"`
}

func (f ACLFilter) keep(a topology.ACL) bool {
	if f.Principal != "" && a.Principal != f.Principal {
		return false
	}
	if f.Topic != "" {
		if a.ResourceType != topology.ResourceTopic {
			return false
		}
		switch a.Pattern {
		case topology.PatternLiteral:
			return a.ResourceName == f.Topic || a.ResourceName == "*"
		case topology.PatternPrefixed:
			return strings.HasPrefix(f.Topic, a.ResourceName)
		}
		return false
	}
	return true
}

// ACLsView is `kctl describe acls`: the cluster's ACLs, sorted by
// principal and resource.
type ACLsView struct {
	Filter ACLFilter      `json:"filter" yaml:"filter"`
	ACLs   []topology.ACL `json:"acls" yaml:"acls"`
}

// DescribeACLs returns the cluster's ACLs that f keeps, in one DescribeAcls
// request. It returns an error naming the fix when the cluster has no
// authorizer or the principal may not describe ACLs.
func DescribeACLs(ctx context.Context, r kmsg.Requestor, f ACLFilter) (ACLsView, error) {
	if f.Principal != "" && !strings.Contains(f.Principal, ":") {
		f.Principal = "User:" + f.Principal
	}
	v := ACLsView{Filter: f, ACLs: []topology.ACL{}}
	all, err := observe.DescribeACLs(ctx, r)
	if err != nil {
		return v, err
	}
	for _, a := range all {
		if f.keep(a) {
			v.ACLs = append(v.ACLs, a)
		}
	}
	return v, nil
}

// WriteText prints one row per ACL.
func (v ACLsView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.ACLs) == 0 {
		_, err := fmt.Fprintln(w, "No ACLs"+v.Filter.describe()+".")
		return err
	}
	t := view.Table{Header: []string{"PRINCIPAL", "PERMISSION", "OPERATION", "RESOURCE", "PATTERN", "HOST"}}
	for _, a := range v.ACLs {
		// As plans write it: a prefix ends in '*' ("topic user.*"), the
		// PATTERN column says prefixed.
		res := a.ResourceType + " " + a.ResourceName
		switch {
		case a.ResourceType == topology.ResourceCluster:
			res = "cluster"
		case a.Pattern == topology.PatternPrefixed:
			res += "*"
		}
		t.Rows = append(t.Rows, []string{view.Printable(a.Principal), a.Permission, a.Operation, view.Printable(res), a.Pattern, view.Printable(a.Host)})
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s%s.\n", plural(len(v.ACLs), "ACL"), v.Filter.describe())
	return err
}

func (f ACLFilter) describe() string {
	var parts []string
	if f.Principal != "" {
		parts = append(parts, "of "+view.Printable(f.Principal))
	}
	if f.Topic != "" {
		parts = append(parts, "on topic "+view.Printable(f.Topic))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// UsersView is `kctl describe users`: the SCRAM credentials, by user.
type UsersView struct {
	Users []UserView `json:"users" yaml:"users"`
}

// UserView is one user's SCRAM credentials.
type UserView struct {
	Name        string           `json:"name" yaml:"name"`
	Credentials []CredentialView `json:"credentials" yaml:"credentials"`
}

// CredentialView is one SCRAM credential; the password is never readable.
type CredentialView struct {
	Mechanism  string `json:"mechanism" yaml:"mechanism"`
	Iterations int32  `json:"iterations" yaml:"iterations"`
}

// DescribeUsers returns every SCRAM user, sorted by name, in one
// DescribeUserScramCredentials request; it returns its error.
func DescribeUsers(ctx context.Context, r kmsg.Requestor) (UsersView, error) {
	v := UsersView{Users: []UserView{}}
	users, err := observe.DescribeSCRAMUsers(ctx, r)
	if err != nil {
		return v, err
	}
	for _, name := range sortedNames(users) {
		u := UserView{Name: name}
		for _, m := range sortedNames(users[name]) {
			u.Credentials = append(u.Credentials, CredentialView{Mechanism: m, Iterations: users[name][m]})
		}
		v.Users = append(v.Users, u)
	}
	return v, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// WriteText prints one row per credential.
func (v UsersView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Users) == 0 {
		_, err := fmt.Fprintln(w, "No SCRAM users.")
		return err
	}
	t := view.Table{Header: []string{"USER", "MECHANISM", "ITERATIONS"}}
	for _, u := range v.Users {
		for _, c := range u.Credentials {
			t.Rows = append(t.Rows, []string{view.Printable(u.Name), c.Mechanism, strconv.Itoa(int(c.Iterations))})
		}
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s (passwords are never readable).\n", plural(len(v.Users), "SCRAM user"))
	return err
}

// QuotasView is `kctl describe quotas`: user and client-id quotas.
type QuotasView struct {
	Quotas []QuotaView `json:"quotas" yaml:"quotas"`
}

// QuotaView is one entity's quotas, by Kafka key.
type QuotaView struct {
	Entity string               `json:"entity" yaml:"entity"`
	Match  topology.QuotaEntity `json:"match" yaml:"match"`
	Values QuotaValues          `json:"values" yaml:"values"`
}

// QuotaValues are quota values by Kafka key.
type QuotaValues map[string]float64

// MarshalYAML writes whole values as integers, as JSON does.
func (q QuotaValues) MarshalYAML() (any, error) {
	out := make(map[string]any, len(q))
	for k, v := range q {
		out[k] = topology.YAMLNumber(&v)
	}
	return out, nil
}

// DescribeQuotas returns the user and client-id quotas, sorted by entity,
// in one DescribeClientQuotas request; it returns its error.
func DescribeQuotas(ctx context.Context, r kmsg.Requestor) (QuotasView, error) {
	v := QuotasView{Quotas: []QuotaView{}}
	qs, err := observe.DescribeQuotas(ctx, r)
	if err != nil {
		return v, err
	}
	for _, q := range qs {
		v.Quotas = append(v.Quotas, QuotaView{Entity: q.Entity.String(), Match: q.Entity, Values: q.Values})
	}
	return v, nil
}

// WriteText prints one row per quota value.
func (v QuotasView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Quotas) == 0 {
		_, err := fmt.Fprintln(w, "No client quotas.")
		return err
	}
	t := view.Table{Header: []string{"ENTITY", "QUOTA", "VALUE"}}
	for _, q := range v.Quotas {
		for _, k := range topology.SortedQuotaKeys(q.Values) {
			val := q.Values[k]
			t.Rows = append(t.Rows, []string{view.Printable(q.Entity), k, topology.QuotaValueText(k, &val)})
		}
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s.\n", plural(len(v.Quotas), "quota entity"))
	return err
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	if strings.HasSuffix(one, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(one, "y"))
	}
	return fmt.Sprintf("%d %ss", n, one)
}
