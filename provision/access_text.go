package provision

import (
	"fmt"

	"github.com/kctl/kctl/topology"
)

// declared is what the "No changes" line says the file declares: its
// topics, and the ACLs, SCRAM users and quotas of the access sections it
// has (a section it lacks was neither read nor compared: not "0 ACLs").
func (p *Plan) declared() string {
	s := countWord(p.Topics, "topic", "topics")
	if p.BrokersManaged {
		s += ", broker configs"
	}
	if !p.AccessManaged {
		return s
	}
	for _, sec := range p.sections {
		switch sec {
		case topology.SectionACLs:
			s += ", " + countWord(p.ACLs, "ACL", "ACLs")
		case topology.SectionUsers:
			s += ", " + countWord(p.Users, "SCRAM user", "SCRAM users")
		case topology.SectionQuotas:
			s += ", " + countWord(p.Quotas, "quota", "quotas")
		}
	}
	return s
}

// text is how apply's result names the item.
func (it ItemResult) text() string {
	if it.Kind != "" {
		return it.Kind + " " + it.Name
	}
	return it.Topic
}

func actionWord(st Styles, a Action) string {
	switch a {
	case Create:
		return st.Add("+ create")
	case Update:
		return st.Change("~ update")
	case Delete:
		return st.Remove("- delete")
	}
	return st.Bad("! refused")
}

// writeAccess prints the access changes: one line per ACL (shorthands
// already expanded), a block per credential and per quota.
func writeAccess(ew *errWriter, st Styles, changes []AccessChange) {
	lastKind := ""
	for _, c := range changes {
		if c.Kind != KindACL || lastKind != KindACL {
			ew.printf("\n")
		}
		lastKind = c.Kind
		ew.printf("  %s %s %s\n", actionWord(st, c.Action), c.Kind, st.Bold(c.Name))
		var rows [][2]string
		switch {
		case c.User != nil:
			u := c.User
			if u.Iterations != nil {
				it := fmt.Sprintf("%d iterations", u.Iterations.To)
				if u.Iterations.From != 0 && u.Iterations.From != u.Iterations.To {
					it = fmt.Sprintf("%d → %d iterations", u.Iterations.From, u.Iterations.To)
				}
				rows = append(rows, [2]string{"mechanism", u.Mechanism + ", " + it})
			}
			if u.PasswordFrom != nil {
				switch u.Why {
				case WhyRotate:
					rows = append(rows, [2]string{"password", "re-set from " + u.PasswordFrom.String() + " (--rotate-passwords)"})
				case WhyIterations:
					rows = append(rows, [2]string{"password", "re-set from " + u.PasswordFrom.String() + " (a new iteration count needs it)"})
				default:
					rows = append(rows, [2]string{"password", "set from " + u.PasswordFrom.String()})
				}
			}
		case c.Quota != nil:
			for _, v := range c.Quota.Values {
				switch {
				case c.Action == Create:
					rows = append(rows, [2]string{v.Key, "= " + quotaValue(v.Key, v.New)})
				case v.New == nil:
					rows = append(rows, [2]string{v.Key, quotaValue(v.Key, v.Old) + " → (removed)"})
				default:
					rows = append(rows, [2]string{v.Key, quotaValue(v.Key, v.Old) + " → " + quotaValue(v.Key, v.New)})
				}
			}
		}
		width := 0
		for _, r := range rows {
			width = max(width, len(r[0]))
		}
		for _, r := range rows {
			ew.printf("      %-*s %s\n", width, r[0], r[1])
		}
		for _, r := range c.Reasons {
			ew.printf("      %s\n", st.Bad("! "+r))
		}
	}
}

// quotaValue prints a quota value with its unit: "10485760 (10MiB/s)",
// "50 (%)".
func quotaValue(key string, v *float64) string { return topology.QuotaValueText(key, v) }

// MarshalYAML writes whole quota values as integers (10485760, not
// 1.048576e+07), as JSON does.
func (v QuotaValue) MarshalYAML() (any, error) {
	return struct {
		Key string `yaml:"key"`
		Old any    `yaml:"old"`
		New any    `yaml:"new"`
	}{v.Key, topology.YAMLNumber(v.Old), topology.YAMLNumber(v.New)}, nil
}
