package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

// ShowOptions is `kctl show`.
type ShowOptions struct {
	f    *Factory
	File string
}

// NewCmdShow builds `kctl show SAVED-PLAN`.
func NewCmdShow(f *Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{f: f}
	cmd := &cobra.Command{
		Use:   "show SAVED-PLAN",
		Short: "Print a plan saved by 'kctl plan --out FILE' (text, or the saved document with -o json|yaml)",
		Long: `Print a saved plan without a cluster: what it was computed against (the topics file and its
SHA-256, the environment, the cluster ID, the hash of the observed state it depends on, when it
was made, and its --prune/--max-deletes), then the plan as 'kctl plan' prints it. With -o json or
-o yaml, the saved document itself. This is how CI reviews a plan in one job; 'kctl apply FILE'
carries it out in the next.`,
		Example: `  kctl plan --out plan.json
  kctl show plan.json
  kctl show plan.json -o json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runShow(opts)
		},
	}
	return cmd
}

func runShow(o *ShowOptions) error {
	if _, err := os.Stat(o.File); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("saved plan %s not found: make one with kctl plan --out %s, then kctl show %s", o.File, o.File, o.File)
	} else if err != nil {
		return fmt.Errorf("read the saved plan: %w", err)
	}
	sp, err := provision.ReadSavedPlanFile(o.File)
	if err != nil {
		return err
	}
	if sp == nil {
		return fmt.Errorf("%s is not a saved plan (a JSON document with a \"kctlPlan\" key): make one with kctl plan --out plan.json (a file of its own, not the topics file)", o.File)
	}
	return o.f.Print(view.WithText(sp, func(w io.Writer, st view.Styles) error { return writeSavedPlanText(w, st, o.File, sp) }))
}

// writeSavedPlanText prints what a saved plan was computed against, then the plan.
func writeSavedPlanText(w io.Writer, st view.Styles, path string, sp *provision.SavedPlan) error {
	env := ""
	if sp.Environment != "" {
		env = ", environment " + sp.Environment
	}
	opts := []string{}
	if o := sp.Plan.Options; o.Prune {
		opts = append(opts, fmt.Sprintf("--prune --max-deletes %d", o.MaxDeletes))
	}
	if sp.Plan.Options.PruneConfigs {
		opts = append(opts, "--prune-configs")
	}
	if sp.Plan.Options.RotatePasswords {
		opts = append(opts, "--rotate-passwords")
	}
	with := ""
	if len(opts) > 0 {
		with = "\n  planned with  " + strings.Join(opts, " ")
	}
	_, err := fmt.Fprintf(w, "Saved plan %s (format %d), made %s\n  file          %s (sha256 %s)%s\n  cluster       %q, observed state sha256 %s (%s)%s\n\n",
		path, sp.Format, sp.Created.Format(time.RFC3339), sp.File, short(sp.FileSHA256), env,
		sp.ClusterID, short(sp.Observed.SHA256), human.Plural(len(sp.Observed.Items), "item"), with)
	if err != nil {
		return err
	}
	return sp.Plan.WriteText(w, st)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
