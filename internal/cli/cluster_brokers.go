package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDefaultBrokers is how many brokers the default ports (9092, 19092, …,
// 59092) cover; more need --ports.
const maxDefaultBrokers = 6

// defaultPortList is the default --ports for n brokers: 9092, 19092, 29092, …
func defaultPortList(n int) string {
	if n < 1 || n > maxDefaultBrokers {
		n = 3
	}
	ps := make([]string, n)
	for i := range ps {
		ps[i] = strconv.Itoa(9092 + 10000*i)
	}
	return strings.Join(ps, ",")
}

// brokerPorts decides the ports of `cluster up --brokers n [--ports list]`.
func brokerPorts(n int, ports string) ([]int, error) {
	if n < 1 {
		return nil, fmt.Errorf("--brokers: %d is not a broker count; give 1 or more, e.g. --brokers 3", n)
	}
	if strings.TrimSpace(ports) == "" {
		if n > maxDefaultBrokers {
			return nil, fmt.Errorf("--brokers %d: the default ports cover %d brokers; give one port per broker with --ports, e.g. --ports %s", n, maxDefaultBrokers, strings.TrimSuffix(strings.Repeat("0,", n), ","))
		}
		ports = defaultPortList(n)
	}
	return parsePortsN(ports, n)
}
