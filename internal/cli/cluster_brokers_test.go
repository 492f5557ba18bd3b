package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestBrokerPorts(t *testing.T) {
	for _, tc := range []struct {
		n     int
		ports string
		want  []int
		err   string
	}{
		{n: 3, want: []int{9092, 19092, 29092}},
		{n: 1, want: []int{9092}},
		{n: 5, want: []int{9092, 19092, 29092, 39092, 49092}},
		{n: 5, ports: "0,0,0,0,0", want: []int{0, 0, 0, 0, 0}},
		{n: 7, err: "--brokers 7: the default ports cover 6 brokers"},
		{n: 0, err: "--brokers: 0 is not a broker count"},
		{n: 4, ports: "0,0,0", err: "--ports: give 4 ports, one per broker (got 3), e.g. --ports 9092,19092,29092,39092 or --ports 0,0,0,0"},
	} {
		got, err := brokerPorts(tc.n, tc.ports)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("brokerPorts(%d, %q) error %v, want %q", tc.n, tc.ports, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("brokerPorts(%d, %q) = %v, %v; want %v", tc.n, tc.ports, got, err, tc.want)
		}
	}
}
