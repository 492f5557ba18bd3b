package observe

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultBroker is the broker id of the cluster-wide dynamic defaults
// (Kafka's broker resource "").
const DefaultBroker int32 = -1

// BrokerDynamicConfigs are the dynamic configs of one broker resource: the
// cluster-wide defaults (ID DefaultBroker, source dynamic-default) or one
// broker's own (source dynamic-broker). Values of sensitive configs are nil
// (a broker never reports them).
type BrokerDynamicConfigs struct {
	ID      int32
	Configs map[string]*string
	// Sensitive names the configs whose value the broker hides.
	Sensitive map[string]bool
	// Err is why they could not be read (a *KafkaError, ErrNotAnswered,
	// or the request's *RequestError); then Configs is nil.
	Err error
}

// Label names the resource: "broker default" or "broker 1".
func (b BrokerDynamicConfigs) Label() string { return BrokerLabel(b.ID) }

// BrokerLabel names a broker resource: "broker default" or "broker 1".
func BrokerLabel(id int32) string {
	if id == DefaultBroker {
		return "broker default"
	}
	return "broker " + strconv.Itoa(int(id))
}

// BrokerConfigs describes the dynamic configs of the cluster-wide default
// and of each broker of ids in one DescribeConfigs request (the client
// sends each broker's resource to that broker). It returns one entry per
// resource, the default first then ids in order, each with its configs or
// why they could not be read, and the *RequestError when the request
// failed as a whole.
func BrokerConfigs(ctx context.Context, r kmsg.Requestor, ids []int32) ([]BrokerDynamicConfigs, error) {
	all := append([]int32{DefaultBroker}, ids...)
	out := make([]BrokerDynamicConfigs, len(all))
	index := make(map[string]int, len(all))
	req := kmsg.NewPtrDescribeConfigsRequest()
	for i, id := range all {
		out[i].ID = id
		name := ""
		if id != DefaultBroker {
			name = strconv.Itoa(int(id))
		}
		index[name] = i
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType = kmsg.ConfigResourceTypeBroker
		rr.ResourceName = name
		req.Resources = append(req.Resources, rr)
	}
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		rerr := &RequestError{Request: "describe broker configs", Err: err}
		for i := range out {
			out[i].Err = rerr
		}
		return out, rerr
	}
	seen := map[int]bool{}
	for _, rc := range resp.Resources {
		i, ok := index[rc.ResourceName]
		if rc.ResourceType != kmsg.ConfigResourceTypeBroker || !ok || seen[i] {
			continue
		}
		seen[i] = true
		if e := codeError(rc.ErrorCode, rc.ErrorMessage); e != nil {
			out[i].Err = fmt.Errorf("describe %s configs: %w", out[i].Label(), e)
			continue
		}
		want := kmsg.ConfigSourceDynamicBrokerConfig
		if out[i].ID == DefaultBroker {
			want = kmsg.ConfigSourceDynamicDefaultBrokerConfig
		}
		out[i].Configs, out[i].Sensitive = map[string]*string{}, map[string]bool{}
		for _, c := range rc.Configs {
			if c.Source != want {
				continue
			}
			out[i].Configs[c.Name] = c.Value
			if c.IsSensitive {
				out[i].Sensitive[c.Name] = true
			}
		}
	}
	for i := range out {
		if !seen[i] {
			out[i].Err = fmt.Errorf("describe %s configs: %w", out[i].Label(), ErrNotAnswered)
		}
	}
	return out, nil
}
