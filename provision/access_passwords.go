package provision

import "os"

// RefuseUnreadablePasswords refuses each SCRAM credential the plan would
// set (create or update) whose password cannot be read from its
// passwordFrom — an unset or empty variable, a missing, unreadable or empty
// file — giving the reason that names it, and recounts the summary. Apply
// would fail on such a credential, so plan (--detailed-exitcode included)
// and apply --dry-run must not pass it. It reads the sources, so it runs
// after Diff (which does no I/O). It returns how many changes it refused;
// a password that can be read is not kept.
func RefuseUnreadablePasswords(p *Plan, getenv func(string) string) int {
	if getenv == nil {
		getenv = os.Getenv
	}
	n := 0
	for i := range p.Access {
		c := &p.Access[i]
		if c.Kind != KindUser || c.User == nil || c.User.PasswordFrom == nil || (c.Action != Create && c.Action != Update) {
			continue
		}
		if _, err := c.User.PasswordFrom.Read(c.User.Name, getenv); err != nil {
			c.Action = Refused
			c.Reasons = append(c.Reasons, err.Error())
			n++
		}
	}
	if n > 0 {
		p.count()
	}
	return n
}
