package provision

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// PasswordError says a declared user's password could not be read at
// apply time; nothing was applied.
type PasswordError struct{ Errs []error }

func (e *PasswordError) Error() string {
	msg := ""
	for i, err := range e.Errs {
		if i > 0 {
			msg += "; "
		}
		msg += err.Error()
	}
	return msg + "; nothing was applied"
}

// CheckPasswords reads the password of every SCRAM credential the plan
// sets, as Apply will, and returns a *PasswordError naming each variable or
// file that cannot be read (nil when all can). Call it before asking for
// confirmation.
func CheckPasswords(plan *Plan, getenv func(string) string) error {
	_, err := readPasswords(plan, getenv)
	return err
}

// readPasswords reads the password of every credential the plan sets,
// keyed by user name and mechanism. It returns a *PasswordError naming
// every variable or file it could not read.
func readPasswords(plan *Plan, getenv func(string) string) (map[string]string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	out := map[string]string{}
	var errs []error
	for _, c := range plan.Access {
		if c.Kind != KindUser || c.User == nil || c.User.PasswordFrom == nil || (c.Action != Create && c.Action != Update) {
			continue
		}
		pw, err := c.User.PasswordFrom.Read(c.User.Name, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[c.User.Name+"/"+c.User.Mechanism] = pw
	}
	if len(errs) > 0 {
		return nil, &PasswordError{Errs: errs}
	}
	return out, nil
}

// accessApplier carries out the access changes of a plan.
type accessApplier struct {
	*applier
	// index maps an access change (by position in plan.Access) to its item.
	index map[int]int
}

func (a *accessApplier) failAt(i int, step, err string) {
	it := &a.res.Items[a.index[i]]
	if !it.OK {
		return
	}
	it.OK, it.Error = false, step+": "+err
}

func (a *accessApplier) skip(i int, why string) {
	it := &a.res.Items[a.index[i]]
	it.OK, it.Skipped = false, why
}

// applyAccess sends the access changes: one AlterUserScramCredentials for
// the credentials (a user with two mechanisms takes a second one: Kafka
// refuses a user twice in one request), one CreateAcls, one
// AlterClientQuotas and one DeleteAcls, each split only by size. Each
// change gets its own result; a failure does not stop the others.
func (a *accessApplier) applyAccess(ctx context.Context, changes []AccessChange, passwords map[string]string) {
	var users, creates, deletes, quotas []int
	for i, c := range changes {
		switch {
		case c.Kind == KindUser && (c.Action == Create || c.Action == Update || c.Action == Delete):
			users = append(users, i)
		case c.Kind == KindACL && c.Action == Create:
			creates = append(creates, i)
		case c.Kind == KindACL && c.Action == Delete:
			deletes = append(deletes, i)
		case c.Kind == KindQuota && (c.Action == Create || c.Action == Update || c.Action == Delete):
			quotas = append(quotas, i)
		}
	}
	a.alterUsers(ctx, changes, users, passwords)
	a.createACLs(ctx, changes, creates)
	a.alterQuotas(ctx, changes, quotas)
	a.deleteACLs(ctx, changes, deletes)
}

// parts splits idx into runs of at most maxBytes (by bytesOf).
func (a *accessApplier) parts(idx []int, bytesOf func(int) int) [][]int {
	var out [][]int
	var cur []int
	b := 0
	for _, i := range idx {
		n := bytesOf(i)
		if len(cur) > 0 && b+n > a.opts.MaxRequestBytes {
			out = append(out, cur)
			cur, b = nil, 0
		}
		cur, b = append(cur, i), b+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func aclBytes(x topology.ACL) int {
	return 16 + len(x.Principal) + len(x.Host) + len(x.ResourceName)
}

func (a *accessApplier) alterUsers(ctx context.Context, changes []AccessChange, idx []int, passwords map[string]string) {
	if a.opts.DryRun {
		for _, i := range idx {
			a.skip(i, "not checked: Kafka has no validate-only SCRAM change")
		}
		return
	}
	// Salting is PBKDF2 with thousands of iterations per credential: do
	// it on every CPU before the requests.
	salted := saltAll(changes, idx, passwords)
	// Rounds: a user name at most once per request.
	for _, round := range userRounds(changes, idx) {
		for _, part := range a.parts(round, func(i int) int { return 128 + len(changes[i].User.Name) }) {
			a.alterUsersRequest(ctx, changes, part, salted)
		}
	}
}

// saltAll salts the passwords of the users changes[idx] upserts, on every
// CPU.
func saltAll(changes []AccessChange, idx []int, passwords map[string]string) map[int]saltedPassword {
	salted := make(map[int]saltedPassword, len(idx))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, i := range idx {
		if changes[i].Action == Delete {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			u := changes[i].User
			var sp saltedPassword
			sp.salt, sp.key, sp.err = saltPassword(u.Mechanism, passwords[u.Name+"/"+u.Mechanism], int(u.Iterations.To))
			mu.Lock()
			salted[i] = sp
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return salted
}

// userRounds groups idx so that a user name is at most once in a group.
func userRounds(changes []AccessChange, idx []int) [][]int {
	var rounds [][]int
	for _, i := range idx {
		name := changes[i].User.Name
		placed := false
		for r := range rounds {
			dup := false
			for _, j := range rounds[r] {
				if changes[j].User.Name == name {
					dup = true
					break
				}
			}
			if !dup {
				rounds[r], placed = append(rounds[r], i), true
				break
			}
		}
		if !placed {
			rounds = append(rounds, []int{i})
		}
	}
	return rounds
}

// alterUsersRequest sends one AlterUserScramCredentials request for the
// changes part and notes each failure.
func (a *accessApplier) alterUsersRequest(ctx context.Context, changes []AccessChange, part []int, salted map[int]saltedPassword) {
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	var sent []int
	for _, i := range part {
		u := changes[i].User
		mech := observe.MechanismCode(u.Mechanism)
		if changes[i].Action == Delete {
			d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
			d.Name, d.Mechanism = u.Name, mech
			req.Deletions = append(req.Deletions, d)
			sent = append(sent, i)
			continue
		}
		sp := salted[i]
		if sp.err != nil {
			a.failAt(i, "credential", sp.err.Error())
			continue
		}
		up := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		up.Name, up.Mechanism, up.Iterations, up.Salt, up.SaltedPassword = u.Name, mech, u.Iterations.To, sp.salt, sp.key
		req.Upsertions = append(req.Upsertions, up)
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return
	}
	a.res.Requests["AlterUserScramCredentials"]++
	resp, err := req.RequestWith(ctx, a.cl)
	answered := map[string]bool{}
	if err == nil {
		for _, r := range resp.Results {
			answered[r.User] = true
			if r.ErrorCode != 0 {
				for _, i := range sent {
					if changes[i].User.Name == r.User {
						a.failAt(i, "credential", kerrText(r.ErrorCode, r.ErrorMessage))
					}
				}
			}
		}
	}
	for _, i := range sent {
		if !answered[changes[i].User.Name] {
			a.failAt(i, "credential", noAnswer(err))
		}
	}
}

type saltedPassword struct {
	salt, key []byte
	err       error
}

// saltPassword returns a random 24-byte salt and the SCRAM salted password
// (PBKDF2 with the mechanism's hash), as the broker stores it.
func saltPassword(mechanism, password string, iterations int) ([]byte, []byte, error) {
	if password == "" {
		return nil, nil, fmt.Errorf("no password was read for this credential")
	}
	salt := make([]byte, 24)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, fmt.Errorf("generate salt: %w", err)
	}
	var salted []byte
	var err error
	switch mechanism {
	case topology.ScramSHA256:
		salted, err = pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	case topology.ScramSHA512:
		salted, err = pbkdf2.Key(sha512.New, password, salt, iterations, sha512.Size)
	default:
		return nil, nil, fmt.Errorf("unknown mechanism %q", mechanism)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("salt the password: %w", err)
	}
	return salt, salted, nil
}

func (a *accessApplier) createACLs(ctx context.Context, changes []AccessChange, idx []int) {
	if a.opts.DryRun {
		for _, i := range idx {
			a.skip(i, "not checked: Kafka has no validate-only ACL creation")
		}
		return
	}
	for _, part := range a.parts(idx, func(i int) int { return aclBytes(*changes[i].ACL) }) {
		req := kmsg.NewPtrCreateACLsRequest()
		var sent []int
		for _, i := range part {
			x := *changes[i].ACL
			op, rt, pat, perm, ok := observe.ACLCodes(x)
			if !ok {
				a.failAt(i, "create", "kctl cannot encode this ACL")
				continue
			}
			c := kmsg.NewCreateACLsRequestCreation()
			c.Principal, c.Host, c.ResourceName = x.Principal, x.Host, x.ResourceName
			c.Operation, c.ResourceType, c.ResourcePatternType, c.PermissionType = op, rt, pat, perm
			req.Creations = append(req.Creations, c)
			sent = append(sent, i)
		}
		if len(sent) == 0 {
			continue
		}
		a.res.Requests["CreateAcls"]++
		resp, err := req.RequestWith(ctx, a.cl)
		for k, i := range sent { // results are in the order of the creations
			switch {
			case err != nil || k >= len(resp.Results):
				a.failAt(i, "create", noAnswer(err))
			case resp.Results[k].ErrorCode != 0:
				a.failAt(i, "create", kerrText(resp.Results[k].ErrorCode, resp.Results[k].ErrorMessage))
			}
		}
	}
}

func (a *accessApplier) deleteACLs(ctx context.Context, changes []AccessChange, idx []int) {
	if a.opts.DryRun {
		for _, i := range idx {
			a.skip(i, "not checked: Kafka has no validate-only ACL deletion")
		}
		return
	}
	for _, part := range a.parts(idx, func(i int) int { return aclBytes(*changes[i].ACL) }) {
		req := kmsg.NewPtrDeleteACLsRequest()
		var sent []int
		for _, i := range part {
			x := *changes[i].ACL
			op, rt, pat, perm, ok := observe.ACLCodes(x)
			if !ok {
				a.failAt(i, "delete", "kctl cannot encode this ACL")
				continue
			}
			f := kmsg.NewDeleteACLsRequestFilter()
			f.Principal, f.Host, f.ResourceName = kmsg.StringPtr(x.Principal), kmsg.StringPtr(x.Host), kmsg.StringPtr(x.ResourceName)
			f.Operation, f.ResourceType, f.ResourcePatternType, f.PermissionType = op, rt, pat, perm
			req.Filters = append(req.Filters, f)
			sent = append(sent, i)
		}
		if len(sent) == 0 {
			continue
		}
		a.res.Requests["DeleteAcls"]++
		resp, err := req.RequestWith(ctx, a.cl)
		for k, i := range sent { // results are in the order of the filters
			switch {
			case err != nil || k >= len(resp.Results):
				a.failAt(i, "delete", noAnswer(err))
			case resp.Results[k].ErrorCode != 0:
				a.failAt(i, "delete", kerrText(resp.Results[k].ErrorCode, resp.Results[k].ErrorMessage))
			}
		}
	}
}

func quotaEntity(e topology.QuotaEntity) []kmsg.AlterClientQuotasRequestEntryEntity {
	var out []kmsg.AlterClientQuotasRequestEntryEntity
	if e.DefaultUser || e.User != "" {
		c := kmsg.NewAlterClientQuotasRequestEntryEntity()
		c.Type = "user"
		if !e.DefaultUser {
			c.Name = kmsg.StringPtr(e.User)
		}
		out = append(out, c)
	}
	if e.ClientID != "" {
		c := kmsg.NewAlterClientQuotasRequestEntryEntity()
		c.Type, c.Name = "client-id", kmsg.StringPtr(e.ClientID)
		out = append(out, c)
	}
	return out
}

func (a *accessApplier) alterQuotas(ctx context.Context, changes []AccessChange, idx []int) {
	for _, part := range a.parts(idx, func(i int) int { return 64 + 32*len(changes[i].Quota.Values) }) {
		req := kmsg.NewPtrAlterClientQuotasRequest()
		req.ValidateOnly = a.opts.DryRun
		byEntity := map[string]int{}
		for _, i := range part {
			q := changes[i].Quota
			e := kmsg.NewAlterClientQuotasRequestEntry()
			e.Entity = quotaEntity(q.Entity)
			for _, v := range q.Values {
				op := kmsg.NewAlterClientQuotasRequestEntryOp()
				op.Key = v.Key
				if v.New == nil {
					op.Remove = true
				} else {
					op.Value = *v.New
				}
				e.Ops = append(e.Ops, op)
			}
			req.Entries = append(req.Entries, e)
			byEntity[q.Entity.String()] = i
		}
		a.res.Requests["AlterClientQuotas"]++
		resp, err := req.RequestWith(ctx, a.cl)
		answered := map[int]bool{}
		if err == nil {
			for _, e := range resp.Entries {
				var ent topology.QuotaEntity
				for _, c := range e.Entity {
					switch {
					case c.Type == "user" && c.Name == nil:
						ent.DefaultUser = true
					case c.Type == "user":
						ent.User = *c.Name
					case c.Type == "client-id" && c.Name != nil:
						ent.ClientID = *c.Name
					}
				}
				i, ok := byEntity[ent.String()]
				if !ok {
					continue
				}
				answered[i] = true
				if e.ErrorCode != 0 {
					a.failAt(i, "quota", kerrText(e.ErrorCode, e.ErrorMessage))
				}
			}
		}
		for _, i := range part {
			if !answered[i] {
				a.failAt(i, "quota", noAnswer(err))
			}
		}
	}
}
