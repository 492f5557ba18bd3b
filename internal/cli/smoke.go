package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/smoke"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SmokeOptions is `kctl smoke`.
type SmokeOptions struct {
	f        *Factory
	File     string
	Embedded bool
	Count    int
	JUnit    string
	NoApply  bool
	// AllowRisky lets the topics step apply changes marked ⚠, as
	// apply --allow-risky does; without it smoke refuses them.
	AllowRisky bool
	UsersURL   string
	EmailURL   string
	// UsersAs and EmailAs name SCRAM users declared in the file that the
	// in-process services connect as (passwords from their passwordFrom).
	UsersAs string
	EmailAs string
	// ACLs (with Embedded) makes the embedded cluster enforce ACLs.
	ACLs bool
}

// NewCmdSmoke builds `kctl smoke`.
func NewCmdSmoke(f *Factory, runF func(context.Context, *SmokeOptions) error) *cobra.Command {
	opts := &SmokeOptions{f: f}
	cmd := &cobra.Command{
		Use:         "smoke [FILE]",
		Annotations: longRunning,
		Short:       "Prove the whole sign-up path end to end; exit 0 only if every check passes",
		Long: `Smoke applies topics.yaml or -f FILE (or checks it with --no-apply; the step is named after the
file, "topics match FILE"), starts the users and email services
in-process on free ports (or tests deployed ones given by --users-url/--email-url), signs up
--count users over HTTP, and checks: each UserSignedUp event without password data, each email
log, a poison record on the dead-letter topic with Spring's kafka_dlt-* headers, the
email-service group's lag back to 0, and no under-replicated or offline partition.

The topics step applies the plan through the same gate as 'kctl apply --yes': a refused change
fails it, and so does a change marked ⚠ (lower retention, compact → delete, …) unless
--allow-risky is given; smoke never deletes topics. A failed topics step exits 1 with nothing
changed.

Every wait is bounded by --timeout. With --embedded it starts the 3-broker cluster in-process
on free ports and stops everything at the end; it then uses the file's local environment when the
file defines one (another with --env, KCTL_ENV or a context's env:).

On a cluster that enforces ACLs, smoke itself connects with the global SASL flags (a principal
that may apply the file and read the DLT and the group's lag, e.g. the admin), and
--users-as/--email-as make the in-process services connect as SCRAM users the file declares
(passwords from their passwordFrom), so the check proves the file's ACLs are enough for them.`,
		Example: `  kctl smoke --embedded
  kctl smoke -b kafka-1:9092 --count 100 --junit smoke-junit.xml
  kctl smoke --no-apply --users-url http://users:8080 --email-url http://email:8081 -o json
  kctl smoke --sasl-mechanism scram-sha-256 --sasl-user admin --users-as users-service --email-as email-service
  kctl smoke --embedded --acls -f examples/access.yaml --users-as users-service --email-as email-service`,
		Args: maximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := fileFlag(opts.File, args)
			if err != nil {
				return err
			}
			opts.File = path
			if opts.Count < 1 {
				return &FlagError{Err: fmt.Errorf("--count must be at least 1, got %d", opts.Count)}
			}
			if (opts.UsersURL == "") != (opts.EmailURL == "") {
				return &FlagError{Err: errors.New("--users-url and --email-url go together: give both to test deployed services, or neither to start them in-process")}
			}
			for _, u := range []struct{ flag, v string }{{"--users-url", opts.UsersURL}, {"--email-url", opts.EmailURL}} {
				if u.v == "" {
					continue
				}
				if pu, err := url.Parse(u.v); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
					return &FlagError{Err: fmt.Errorf("%s %q: give an http:// or https:// URL with a host, e.g. %s http://users:8080", u.flag, u.v, u.flag)}
				}
			}
			if opts.UsersURL != "" && (opts.UsersAs != "" || opts.EmailAs != "") {
				return &FlagError{Err: errors.New("--users-as/--email-as set the credentials of in-process services: drop them with --users-url/--email-url (deployed services bring their own)")}
			}
			if opts.ACLs && !opts.Embedded {
				return &FlagError{Err: errors.New("--acls makes the embedded cluster enforce ACLs: add --embedded (a real cluster enforces its own)")}
			}
			if opts.Embedded && (f.Global.BrokersSet || f.Global.Context != "") {
				return &FlagError{Err: errors.New("--embedded starts its own cluster: drop -b/--context, or drop --embedded to test that cluster")}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSmoke(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.File, "file", "f", "", "topics file (default ./topics.yaml)")
	addEnvFlag(cmd, f)
	fl.BoolVar(&opts.Embedded, "embedded", false, "start the 3-broker cluster in-process on free ports")
	fl.IntVar(&opts.Count, "count", 1, "sign-ups to make")
	fl.StringVar(&opts.JUnit, "junit", "", "also write a JUnit XML report to FILE")
	fl.BoolVar(&opts.NoApply, "no-apply", false, "only check that the topics match the file; change nothing")
	fl.BoolVar(&opts.AllowRisky, "allow-risky", false, "apply changes marked ⚠ (data loss or weaker durability), as kctl apply --allow-risky; without it the topics step refuses them")
	fl.StringVar(&opts.UsersURL, "users-url", "", "a deployed users service, e.g. http://users:8080")
	fl.StringVar(&opts.EmailURL, "email-url", "", "a deployed email service, e.g. http://email:8081")
	fl.BoolVar(&opts.ACLs, "acls", false, "with --embedded: the cluster enforces ACLs (smoke connects as its super user; give the services users with --users-as/--email-as)")
	fl.StringVar(&opts.UsersAs, "users-as", "", "the in-process users service connects as this SCRAM user of the file's users: (password from its passwordFrom)")
	fl.StringVar(&opts.EmailAs, "email-as", "", "the in-process email service connects as this SCRAM user of the file's users: (password from its passwordFrom)")
	return cmd
}

func runSmoke(ctx context.Context, o *SmokeOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	// Errors in the file go to stderr whatever -o: smoke's JSON is its report.
	// --embedded uses the file's local environment unless another is selected.
	fallback := ""
	if o.Embedded {
		fallback = "local"
	}
	file, err := loadTopicsEnv(f, o.File, view.Text, true, 0, fallback)
	if err != nil {
		return o.reportNotRun(format, err)
	}
	var settings kafka.Settings
	if o.Embedded {
		c, sasl, err := o.startEmbedded()
		if err != nil {
			return err
		}
		defer c.Close()
		settings = kafka.Settings{Brokers: c.Brokers(), BrokersFrom: "--embedded", Timeout: f.Global.Timeout, SASL: sasl}
	} else if settings, err = f.Settings(file.Cluster.Brokers, o.File); err != nil {
		return err
	}
	kopts, err := settings.Options(f.Getenv)
	if err != nil {
		return err
	}
	svcOpts, err := o.serviceCredentials(settings, file)
	if err != nil {
		return err
	}
	cl, err := kafka.NewClient(settings, f.Logger())
	if err != nil {
		return err
	}
	defer cl.Close()

	text := format == "text"
	st := f.Styles()
	if text {
		where := o.where(settings.Brokers, file.Env)
		fmt.Fprintf(f.IO.Out, "kctl smoke: %s, %d sign-up(s), timeout %s per step\n\n", where, o.Count, settings.Timeout)
	}
	svcLog := f.serviceLogger()
	rep := smoke.Run(ctx, smoke.Options{
		Client: cl, Admin: kadm.NewClient(cl), ClientOpts: kopts,
		Brokers: settings.Brokers, Embedded: o.Embedded, Count: o.Count, Timeout: settings.Timeout,
		Topics: smoke.TopicsStep(cl, file, smoke.TopicsOptions{
			NoApply: o.NoApply, Allow: provision.Allowances{Risky: o.AllowRisky}, Markers: markerStore(f),
		}),
		TopicsFile:    o.File,
		StartServices: o.services(settings, kopts, svcOpts, svcLog),
		Logger:        svcLog,
		Progress: func(s smoke.Step) {
			if text {
				fmt.Fprintln(f.IO.Out, smoke.StepLine(s, st))
			}
		},
	})
	if o.JUnit != "" {
		if err := writeJUnit(o.JUnit, rep); err != nil {
			return err
		}
	}
	if text {
		rep.WriteSummary(f.IO.Out, st)
	} else if err := f.Print(rep); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !rep.Passed {
		return ErrSilentFailure
	}
	return nil
}

// reportNotRun reports a smoke test whose topics file cannot be used (err):
// the topics step failed, nothing ran. CI still gets its report.
func (o *SmokeOptions) reportNotRun(format view.Format, err error) error {
	rep := smoke.NotRun(smoke.StepsFor(o.File), smoke.TopicsStepName(o.File), err, o.Count, o.Embedded)
	if o.JUnit != "" {
		if jerr := writeJUnit(o.JUnit, rep); jerr != nil {
			return jerr
		}
	}
	if format != view.Text {
		if perr := o.f.Print(rep); perr != nil {
			return perr
		}
	}
	return err
}

// where says what the smoke test runs against: the brokers (or the
// embedded cluster on them) and the topics file's environment.
func (o *SmokeOptions) where(brokers []string, env string) string {
	where := "brokers " + strings.Join(brokers, ",")
	if o.Embedded {
		where = "embedded 3-broker cluster on " + strings.Join(brokers, ",")
		if o.ACLs {
			where = "embedded 3-broker cluster enforcing ACLs on " + strings.Join(brokers, ",")
		}
	}
	if env != "" {
		where += ", environment " + env
	}
	return where
}

func writeJUnit(path string, rep *smoke.Report) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	if err := rep.WriteJUnit(fh); err != nil {
		fh.Close()
		return fmt.Errorf("write --junit %s: %w", path, err)
	}
	return fh.Close()
}

// serviceLogger is for in-process services: errors only (smoke's poison
// record makes them warn on purpose), everything with -v.
func (f *Factory) serviceLogger() *slog.Logger {
	lvl := slog.LevelError
	if f.Global.Verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
}

// services returns the hook that locates deployed services or starts
// in-process ones.
func (o *SmokeOptions) services(s kafka.Settings, kopts []kgo.Opt, svc [2][]kgo.Opt, log *slog.Logger) func(context.Context) (smoke.Services, error) {
	if o.UsersURL != "" {
		return func(context.Context) (smoke.Services, error) {
			return smoke.Services{UsersURL: strings.TrimRight(o.UsersURL, "/"), EmailURL: strings.TrimRight(o.EmailURL, "/")}, nil
		}
	}
	return func(ctx context.Context) (smoke.Services, error) {
		return smoke.StartInProcess(ctx, smoke.InProcess{Brokers: s.Brokers, KafkaOpts: kopts, UsersKafkaOpts: svc[0], EmailKafkaOpts: svc[1], Logger: log, ConnectTimeout: s.Timeout})
	}
}

// serviceCredentials returns the client options of the in-process users
// and email services when --users-as/--email-as name SCRAM users of the
// file (nil: the service connects as smoke does). It returns an error
// naming the user that the file does not declare or whose password cannot
// be read.
func (o *SmokeOptions) serviceCredentials(s kafka.Settings, file *topology.File) ([2][]kgo.Opt, error) {
	var out [2][]kgo.Opt
	for i, as := range []struct{ flag, user string }{{"--users-as", o.UsersAs}, {"--email-as", o.EmailAs}} {
		if as.user == "" {
			continue
		}
		var u *topology.User
		for j := range file.Users {
			if file.Users[j].Name == as.user {
				u = &file.Users[j]
				break
			}
		}
		if u == nil {
			return out, &FlagError{Err: fmt.Errorf("%s %s: %s declares no such user under users: (declare it with passwordFrom, or name a declared one)", as.flag, as.user, file.Path)}
		}
		pw, err := u.PasswordFrom.Read(u.Name, o.f.Getenv)
		if err != nil {
			return out, fmt.Errorf("%s: %w", as.flag, err)
		}
		ss := s
		ss.SASL = kafka.SASL{Mechanism: u.Mechanism, User: u.Name, Password: pw}
		opts, err := ss.Options(o.f.Getenv)
		if err != nil {
			return out, fmt.Errorf("%s: %w", as.flag, err)
		}
		out[i] = opts
	}
	return out, nil
}
