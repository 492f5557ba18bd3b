package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// GenDocs writes kctl's flag reference, generated from the command tree with
// cobra/doc, under dir: dir/reference/kctl*.md (one Markdown page per command)
// and dir/man/kctl*.1 (man pages). `make docs` calls it through
// cmd/kctl-gendocs; TestReferenceCurrent (cmd/kctl) checks the committed copy.
// The tree is built with an empty environment, so no default comes from the
// machine that runs it, and without the auto-generated date tag.
func GenDocs(dir string) error {
	f := NewFactory(IOStreams{In: nil, Out: io.Discard, ErrOut: io.Discard}, func(string) string { return "" })
	root := NewCmdRoot(f)
	disableAutoGenTag(root)
	ref := filepath.Join(dir, "reference")
	man := filepath.Join(dir, "man")
	for _, d := range []string{ref, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("gendocs: %w", err)
		}
	}
	if err := doc.GenMarkdownTree(root, ref); err != nil {
		return fmt.Errorf("gendocs: markdown reference in %s: %w", ref, err)
	}
	header := &doc.GenManHeader{Title: "KCTL", Section: "1", Source: "kctl", Manual: "kctl manual"}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("gendocs: man pages in %s: %w", man, err)
	}
	return nil
}

func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}
