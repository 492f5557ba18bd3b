// Command kctl is a CLI for the people who run Apache Kafka.
package main

import (
	"os"

	"github.com/kctl/kctl/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
