package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/kctl/kctl/internal/feature/records/serde"
	"github.com/spf13/pflag"
)

// produceSchemas are produce's --key-schema/--value-schema flags.
type produceSchemas struct {
	Registry               registryFlags
	KeySchema, ValueSchema string // SUBJECT[:VERSION]
	KeyFile, ValueFile     string
	Register               bool
}

func (p *produceSchemas) addFlags(fl *pflag.FlagSet) {
	addRegistryFlags(fl, &p.Registry)
	fl.StringVar(&p.ValueSchema, "value-schema", "", "encode each line (JSON) in registered schema `SUBJECT[:VERSION]` (default the latest) and frame it")
	fl.StringVar(&p.ValueFile, "value-schema-file", "", "encode each line (JSON) in the schema of `FILE` (.avsc, .json, .proto) registered under TOPIC-value")
	fl.StringVar(&p.KeySchema, "key-schema", "", "encode each key (JSON, with -k) in registered schema `SUBJECT[:VERSION]`")
	fl.StringVar(&p.KeyFile, "key-schema-file", "", "encode each key (JSON, with -k) in the schema of `FILE` registered under TOPIC-key")
	fl.BoolVar(&p.Register, "register", false, "register a --*-schema-file's schema when the subject does not have it")
}

func (p *produceSchemas) any() bool {
	return p.KeySchema != "" || p.ValueSchema != "" || p.KeyFile != "" || p.ValueFile != ""
}

// parseSubject splits SUBJECT[:VERSION] (VERSION a number or latest).
func parseSubject(flag, s string) (string, int, error) {
	subject, version := s, -1
	if i := strings.LastIndexByte(s, ':'); i > 0 {
		switch v := s[i+1:]; {
		case v == "latest":
			subject = s[:i]
		default:
			if n, err := strconv.Atoi(v); err == nil {
				if n < 1 {
					return "", 0, &FlagError{Err: fmt.Errorf("--%s %s: the version is 1 or more (or latest)", flag, s)}
				}
				subject, version = s[:i], n
			}
		}
	}
	if subject == "" {
		return "", 0, &FlagError{Err: fmt.Errorf("--%s: give a subject, e.g. --%s user.signed-up-value or user.signed-up-value:2", flag, flag)}
	}
	return subject, version, nil
}

// encoding sets ro.Encode and ro.Reject when a schema is asked for. The
// rejected lines are noted on stderr as they come.
func (o *ProduceOptions) encoding(ctx context.Context) error {
	p := &o.Schemas
	if !p.any() {
		return nil
	}
	if p.KeySchema != "" && p.KeyFile != "" || p.ValueSchema != "" && p.ValueFile != "" {
		return &FlagError{Err: errors.New("--value-schema and --value-schema-file (or the key's) contradict each other: give a registered subject or a file")}
	}
	if (p.KeySchema != "" || p.KeyFile != "") && len(o.Records.KeySeparator) == 0 {
		return &FlagError{Err: errors.New("--key-schema needs -k SEP: each line is KEY SEP VALUE")}
	}
	rc, err := o.Registry(ctx, &p.Registry)
	if err != nil {
		return err
	}
	if rc == nil {
		return &FlagError{Err: errors.New("a schema needs a registry: give --registry URL, set $KCTL_REGISTRY, or kctl config set-context NAME --registry URL")}
	}
	codec := serde.NewCodec(rc)
	target := func(flag, subject, file, part string) (*serde.Target, error) {
		switch {
		case subject != "":
			s, v, err := parseSubject(flag, subject)
			if err != nil {
				return nil, err
			}
			return codec.TargetBySubject(ctx, s, v)
		case file != "":
			return codec.TargetByFile(ctx, rc.SR, o.Records.Topic+"-"+part, file, p.Register)
		}
		return nil, nil
	}
	kt, err := target("key-schema", p.KeySchema, p.KeyFile, "key")
	if err != nil {
		return err
	}
	vt, err := target("value-schema", p.ValueSchema, p.ValueFile, "value")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	o.Records.Encode = func(k, v []byte) ([]byte, []byte, error) {
		var err error
		if kt != nil && k != nil {
			if k, err = kt.Encode(k); err != nil {
				return nil, nil, fmt.Errorf("key: %w", err)
			}
		}
		if vt != nil {
			if v, err = vt.Encode(v); err != nil {
				return nil, nil, err
			}
		}
		return k, v, nil
	}
	o.Records.Reject = func(err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(o.IO.ErrOut, "not produced: %v\n", err)
	}
	return nil
}
