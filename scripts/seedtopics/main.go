// Command seedtopics creates N topics of P partitions (RF 3) on a cluster for
// benchmarks, in one CreateTopics request. It is a bench helper, not part of kctl.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("b", "127.0.0.1:9092", "brokers")
	n := flag.Int("n", 200, "topics")
	p := flag.Int("p", 3, "partitions per topic")
	prefix := flag.String("prefix", "bench.", "topic name prefix")
	flag.Parse()
	if err := run(*brokers, *n, int32(*p), *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "seedtopics:", err)
		os.Exit(1)
	}
}

func run(brokers string, n int, p int32, prefix string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, p, 3, nil, names...)
	if err != nil {
		return err
	}
	return resp.Error()
}
