// Package cli holds kctl's commands. It is the only package that imports
// cobra. Each command is an options struct, a constructor NewCmdX(f, runF)
// taking its dependencies, and a run function (the gh CLI's pattern).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/ui"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// GlobalOptions are the persistent flags shared by every command.
type GlobalOptions struct {
	Brokers    []string
	BrokersSet bool // -b was given (set by the root command)
	Context    string
	ConfigPath string
	TLS        kafka.TLS
	SASL       kafka.SASL
	Output     string
	NoColor    bool
	Timeout    time.Duration
	Verbose    bool
	// Env is --env: the environment of the topics file, a flag only of
	// the commands that read one (addEnvFlag) and of config set-context.
	Env string
}

// Factory carries what commands depend on: streams, environment, global
// options, and constructors for clients, printers and loggers.
type Factory struct {
	IO     IOStreams
	Getenv func(string) string
	Global *GlobalOptions
	// IsTerminal reports whether a stream is an interactive terminal.
	IsTerminal func(any) bool
	// TuneGC, when set (by Main, not by tests), is called before a command
	// runs with whether it is long-running.
	TuneGC func(longRunning bool)
	// Now is the clock that relative times (--since 2h, --from -1h) are
	// measured from; tests set a fixed one.
	Now func() time.Time
	// Args is the command line Run was given (without "kctl"): a refusal
	// to change a cluster without a terminal repeats it with --yes.
	Args []string
	// StopNow, when set (by Main), is closed at a second interrupt: a
	// command that waits after the first (produce, for acknowledgements)
	// stops waiting at once. Nil never closes.
	StopNow <-chan struct{}
}

// NewFactory returns a factory for the given streams and environment.
func NewFactory(streams IOStreams, getenv func(string) string) *Factory {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Factory{
		IO:     streams,
		Getenv: getenv,
		Global: &GlobalOptions{Timeout: kafka.DefaultTimeout},
		Now:    time.Now,
		IsTerminal: func(s any) bool {
			if o, ok := s.(*Stdout); ok {
				s = o.File()
			}
			if w, ok := s.(io.Writer); ok {
				return ui.IsTerminal(w)
			}
			if f, ok := s.(*os.File); ok {
				return ui.IsTerminal(f)
			}
			return false
		},
	}
}

// ConfigPath returns --config or the default config file path.
func (f *Factory) ConfigPath() string {
	if f.Global.ConfigPath != "" {
		return f.Global.ConfigPath
	}
	return kafka.DefaultConfigPath(f.Getenv)
}

// Settings resolves the connection. fileBrokers/fileName are cluster.brokers
// of the topics file in use, if any (the second-to-last fallback).
func (f *Factory) Settings(fileBrokers []string, fileName string) (kafka.Settings, error) {
	cfg, err := kafka.LoadConfig(f.ConfigPath())
	if err != nil {
		return kafka.Settings{}, err
	}
	name := f.Global.Context
	if name == "" {
		name = f.Getenv("KCTL_CONTEXT")
	}
	ctx, ctxName, err := cfg.Select(name)
	if err != nil {
		return kafka.Settings{}, err
	}
	s, err := kafka.Resolve(kafka.Inputs{
		LoadFileBrokers: fileBrokersFor(f.envForBrokers(ctx)),
		FlagBrokers:     f.Global.Brokers,
		FlagBrokersSet:  f.Global.BrokersSet,
		ContextFromFlag: f.Global.Context != "",
		ContextNamed:    name != "",
		Getenv:          f.Getenv,
		Context:         ctx,
		ContextName:     ctxName,
		FileBrokers:     fileBrokers,
		FileName:        fileName,
		TLS:             f.Global.TLS,
		SASL:            f.Global.SASL,
		Timeout:         f.Global.Timeout,
	})
	return s, err
}

// Clients is a connected client and its admin wrapper.
type Clients struct {
	Settings kafka.Settings
	Client   *kgo.Client
	Admin    *kadm.Client
}

// Close closes the client.
func (c *Clients) Close() { c.Client.Close() }

// Connect resolves the settings, builds a client and pings the cluster. It
// returns an *kafka.UnreachableError or *kafka.AuthError when the cluster
// cannot be used, naming the brokers tried.
func (f *Factory) Connect(ctx context.Context, fileBrokers []string, fileName string, extra ...kgo.Opt) (*Clients, error) {
	s, err := f.Settings(fileBrokers, fileName)
	if err != nil {
		return nil, err
	}
	return f.ConnectWith(ctx, s, extra...)
}

// ConnectWith is Connect with already-resolved settings.
func (f *Factory) ConnectWith(ctx context.Context, s kafka.Settings, extra ...kgo.Opt) (*Clients, error) {
	log := f.Logger()
	log.Debug("connecting", "brokers", s.Brokers, "from", s.BrokersFrom, "tls", s.TLS.Enabled, "sasl", s.SASL.Mechanism)
	cl, err := kafka.NewClient(s, log, extra...)
	if err != nil {
		return nil, err
	}
	// Any seed that answers will do; the command's other clients (built
	// from the returned settings) bootstrap from the one that answered.
	s, err = kafka.Preflight(ctx, cl, s)
	if err != nil {
		cl.Close()
		return nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(s.Timeout / time.Millisecond))
	return &Clients{Settings: s, Client: cl, Admin: adm}, nil
}

// ConnectSticky resolves the settings and returns a requestor that sends
// every request over one connection to the first seed broker that answers
// (kafka.Sticky), and a function that closes it. It does not ping: the first
// request fails with an *kafka.UnreachableError or *kafka.AuthError instead,
// which saves a round trip and two connections for describe. It returns the
// settings' error when they cannot be resolved.
func (f *Factory) ConnectSticky() (*kafka.Sticky, func(), error) {
	s, err := f.Settings(nil, "")
	if err != nil {
		return nil, nil, err
	}
	log := f.Logger()
	log.Debug("connecting", "brokers", s.Brokers, "from", s.BrokersFrom, "tls", s.TLS.Enabled, "sasl", s.SASL.Mechanism)
	cl, err := kafka.NewClient(s, log)
	if err != nil {
		return nil, nil, err
	}
	return kafka.NewSticky(cl, s), cl.Close, nil
}

// connectionError returns the *kafka.UnreachableError or *kafka.AuthError
// inside err when there is one, so that a failed first request reads as a
// failed connection, and err otherwise.
func connectionError(err error) error {
	var ue *kafka.UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	var ae *kafka.AuthError
	if errors.As(err, &ae) {
		return ae
	}
	return err
}

// Format returns the -o format.
func (f *Factory) Format() (view.Format, error) { return view.ParseFormat(f.Global.Output) }

// Styles returns the text styles for stdout.
func (f *Factory) Styles() view.Styles { return f.stylesFor(f.IO.Out) }

// stderrStyles returns the text styles for stderr.
func (f *Factory) stderrStyles() view.Styles { return f.stylesFor(f.IO.ErrOut) }

func (f *Factory) stylesFor(w io.Writer) view.Styles {
	terminal := f.IsTerminal(w)
	if o, ok := w.(*Stdout); ok {
		w = o.File() // colour is the terminal's; the styles only render strings
	}
	return ui.StylesFor(w, terminal, f.Global.NoColor, f.Getenv)
}

// Print writes a view to stdout in the -o format.
func (f *Factory) Print(v any) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	return view.Print(f.IO.Out, format, f.Styles(), v)
}

// Logger returns a slog logger on stderr: debug with -v, info otherwise.
func (f *Factory) Logger() *slog.Logger {
	lvl := slog.LevelInfo
	if f.Global.Verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
}

// Warnf prints a warning line to stderr.
func (f *Factory) Warnf(format string, a ...any) { warnf(f.IO.ErrOut, format, a...) }

// warnf prints a warning line to w (a command's stderr).
func warnf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "warning: "+format+"\n", a...)
}

// The narrow dependencies a command's options hold instead of the whole
// factory (the factory builds them: f.Dialer(), f.Printing()).

// ConnectFunc is Factory.Connect: the cluster, resolved from the flags,
// environment, config file and the topics file's brokers.
type ConnectFunc func(ctx context.Context, fileBrokers []string, fileName string, extra ...kgo.Opt) (*Clients, error)

// Dialer is what a command needs to reach the cluster: Connect, and the
// logger for the further clients it builds from the settings Connect
// resolved.
type Dialer struct {
	Connect ConnectFunc
	Logger  func() *slog.Logger
}

// StickyFunc is Factory.ConnectSticky: one connection to the first seed
// broker that answers, and the func that closes it.
type StickyFunc func() (*kafka.Sticky, func(), error)

// timeout returns --timeout (read when the command runs).
func (f *Factory) timeout() time.Duration { return f.Global.Timeout }

// Dialer returns the factory's Connect and Logger.
func (f *Factory) Dialer() Dialer { return Dialer{Connect: f.Connect, Logger: f.Logger} }

// Printing is what a command needs to print views: the -o format, Print
// (a view to stdout in that format), and the text styles of stdout and
// stderr (colour decided by each stream, at print time).
type Printing struct {
	Format    func() (view.Format, error)
	Print     func(v any) error
	Styles    func() view.Styles
	ErrStyles func() view.Styles
}

// Printing returns the factory's printing, read when the command runs
// (after the flags are parsed).
func (f *Factory) Printing() Printing {
	return Printing{Format: f.Format, Print: f.Print, Styles: f.Styles, ErrStyles: f.stderrStyles}
}
