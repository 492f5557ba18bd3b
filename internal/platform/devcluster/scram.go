package devcluster

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake stores each SCRAM credential with the iterations it was created
// with (AlterUserScramCredentials carries them; kctl's default is 8192),
// but its server-first message always says i=4096 and it signs that very
// message into the SCRAM proofs. A client told 4096 derives the wrong key
// for a credential made with 8192, and a server-first rewritten to say
// 8192 no longer matches the proof kfake expects. So the SASL shim keeps
// the exchange consistent on both sides (RFC 5802 names):
//
//   - it announces the credential's stored iterations (server-first);
//   - it checks the client's proof against the stored key, and re-signs it
//     for kfake's own server-first (proof XOR HMAC(StoredKey, AuthMessage)
//     for the two AuthMessages);
//   - it re-signs kfake's ServerSignature for the client's AuthMessage.
//
// kfake still verifies every proof against its own store, so the shim can
// make a login fail but never succeed where the password is wrong. It learns
// the credentials (salt, salted password, iterations) from kfake's saved
// state (sasl.json in the data dir) and from every AlterUserScramCredentials
// request (a ControlKey observer that lets kfake handle the request). A
// credential is found by user, mechanism and salt, which kfake's
// server-first names.
type scramStore struct {
	mu sync.Mutex
	m  map[string][]scramCred // mechanism "/" user → credentials, newest first
}

type scramCred struct {
	salt, saltedPass []byte
	iterations       int
}

// scramStoreMax bounds the credentials remembered per user and mechanism.
const scramStoreMax = 8

func newScramStore() *scramStore { return &scramStore{m: map[string][]scramCred{}} }

func (s *scramStore) add(mechanism, user string, c scramCred) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := mechanism + "/" + user
	l := append([]scramCred{c}, s.m[k]...)
	if len(l) > scramStoreMax {
		l = l[:scramStoreMax]
	}
	s.m[k] = l
}

// find returns the credentials of user with salt, newest first.
func (s *scramStore) find(mechanism, user string, salt []byte) []scramCred {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []scramCred
	for _, c := range s.m[mechanism+"/"+user] {
		if bytes.Equal(c.salt, salt) {
			out = append(out, c)
		}
	}
	return out
}

// observe is the ControlKey hook for AlterUserScramCredentials: it records
// the upserted credentials and leaves the request to kfake.
func (s *scramStore) observe(req kmsg.Request) {
	r, ok := req.(*kmsg.AlterUserSCRAMCredentialsRequest)
	if !ok {
		return
	}
	for _, u := range r.Upsertions {
		mech := ""
		switch u.Mechanism {
		case 1:
			mech = "SCRAM-SHA-256"
		case 2:
			mech = "SCRAM-SHA-512"
		default:
			continue
		}
		if u.Iterations < 4096 || u.Iterations > 16384 || len(u.SaltedPassword) == 0 {
			continue // kfake refuses it
		}
		s.add(mech, u.Name, scramCred{salt: bytes.Clone(u.Salt), saltedPass: bytes.Clone(u.SaltedPassword), iterations: int(u.Iterations)})
	}
}

// loadKfake reads the credentials kfake saved in dir (sasl.json).
func (s *scramStore) loadKfake(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "sasl.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read SCRAM credentials: %w", err)
	}
	type cred struct {
		Salt       []byte `json:"salt"`
		SaltedPass []byte `json:"salted_pass"`
		Iterations int    `json:"iterations"`
	}
	var saved struct {
		Scram256 map[string]cred `json:"scram256"`
		Scram512 map[string]cred `json:"scram512"`
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil // kfake reports a damaged file itself
	}
	for mech, m := range map[string]map[string]cred{"SCRAM-SHA-256": saved.Scram256, "SCRAM-SHA-512": saved.Scram512} {
		for user, c := range m {
			s.add(mech, user, scramCred{salt: c.Salt, saltedPass: c.SaltedPass, iterations: c.Iterations})
		}
	}
	return nil
}

// scramExchange translates one connection's SCRAM exchange (tokens 0:
// client-first / server-first, 1: client-final / server-final).
type scramExchange struct {
	store *scramStore
	h     func() hash.Hash
	mech  string

	user, c1bare      string
	s0kfake, s0client string
	cands             []scramCred // salt and iterations match; nil: no translation
	serverKey         []byte      // the candidate the client's proof matched
	amClient, amKfake string
}

func newScramExchange(store *scramStore, mech string) *scramExchange {
	h := sha256.New
	if mech == "SCRAM-SHA-512" {
		h = sha512.New
	}
	return &scramExchange{store: store, h: h, mech: mech}
}

// client returns the client's token n as kfake should see it.
func (x *scramExchange) client(n int, tok []byte) []byte {
	switch n {
	case 0: // client-first: gs2 header "n,," (or "n,a=zid,") then the bare message
		parts := strings.SplitN(string(tok), ",", 3)
		if len(parts) == 3 {
			x.c1bare = parts[2]
			for _, a := range strings.Split(x.c1bare, ",") {
				if strings.HasPrefix(a, "n=") {
					x.user = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(a[2:])
				}
			}
		}
	case 1: // client-final: "c=biws,r=nonce,p=proof"
		if x.cands == nil {
			return tok
		}
		cf := string(tok)
		i := strings.LastIndex(cf, ",p=")
		if i < 0 {
			return tok
		}
		proof, err := base64.StdEncoding.DecodeString(cf[i+3:])
		if err != nil {
			return tok
		}
		without := cf[:i]
		x.amClient = x.c1bare + "," + x.s0client + "," + without
		x.amKfake = x.c1bare + "," + x.s0kfake + "," + without
		for _, c := range x.cands {
			storedKey := x.hash(x.hmac(c.saltedPass, "Client Key"))
			clientKey := xor(proof, x.hmac(storedKey, x.amClient))
			if clientKey == nil || !hmac.Equal(x.hash(clientKey), storedKey) {
				continue
			}
			x.serverKey = x.hmac(c.saltedPass, "Server Key")
			return []byte(without + ",p=" + base64.StdEncoding.EncodeToString(xor(clientKey, x.hmac(storedKey, x.amKfake))))
		}
	}
	return tok
}

// server returns kfake's token n as the client should see it.
func (x *scramExchange) server(n int, tok []byte) []byte {
	switch n {
	case 0: // server-first: "r=nonce,s=salt,i=4096"
		x.s0kfake = string(tok)
		var salt []byte
		announced := 0
		for _, a := range strings.Split(x.s0kfake, ",") {
			switch {
			case strings.HasPrefix(a, "s="):
				salt, _ = base64.StdEncoding.DecodeString(a[2:])
			case strings.HasPrefix(a, "i="):
				announced, _ = strconv.Atoi(a[2:])
			}
		}
		cands := x.store.find(x.mech, x.user, salt)
		if len(cands) == 0 || salt == nil || cands[0].iterations == announced {
			return tok
		}
		it := cands[0].iterations
		for _, c := range cands {
			if c.iterations == it {
				x.cands = append(x.cands, c)
			}
		}
		x.s0client = string(withIterations(tok, it))
		return []byte(x.s0client)
	case 1: // server-final: "v=signature" (or "e=error")
		if x.serverKey == nil || !bytes.HasPrefix(tok, []byte("v=")) {
			return tok
		}
		return []byte("v=" + base64.StdEncoding.EncodeToString(x.hmac(x.serverKey, x.amClient)))
	}
	return tok
}

func (x *scramExchange) hmac(key []byte, msg string) []byte {
	m := hmac.New(x.h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (x *scramExchange) hash(b []byte) []byte {
	h := x.h()
	h.Write(b)
	return h.Sum(nil)
}

func xor(a, b []byte) []byte {
	if len(a) != len(b) {
		return nil
	}
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// withIterations replaces i= in a SCRAM server-first message.
func withIterations(serverFirst []byte, iterations int) []byte {
	parts := strings.Split(string(serverFirst), ",")
	for i, p := range parts {
		if strings.HasPrefix(p, "i=") {
			parts[i] = "i=" + strconv.Itoa(iterations)
			return []byte(strings.Join(parts, ","))
		}
	}
	return serverFirst
}
