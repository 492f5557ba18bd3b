// Command kctl-gendocs writes kctl's flag reference (docs/reference/*.md) and
// man pages (docs/man/*.1) from the cobra command tree: `make docs` runs
// `go run ./cmd/kctl-gendocs docs`.
package main

import (
	"fmt"
	"os"

	"github.com/kctl/kctl/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kctl-gendocs DIR   (writes DIR/reference/*.md and DIR/man/*.1)")
		os.Exit(2)
	}
	if err := cli.GenDocs(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
