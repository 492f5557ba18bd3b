package devcluster

import (
	"context"
	"crypto/tls"
	"regexp"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// Corrections of kfake where it answers unlike Kafka, so that the broker
// commands (kctl describe logdirs|quorum, elect-leaders) see what a real
// cluster would say (docs/brokers.md, "The embedded cluster"):
//
//   - DescribeLogDirs: kfake lists every partition on every broker; a
//     broker here lists only the partitions it holds a replica of (those
//     whose Metadata replicas name it).
//   - ElectLeaders: kfake moves the leader to the next broker whatever the
//     election type. In kfake every partition is led by its first replica
//     (Metadata lists the leader first) and every leader is alive, so Kafka
//     would answer ELECTION_NOT_NEEDED for each partition, preferred or
//     unclean; that is the answer here (UNKNOWN_TOPIC_OR_PARTITION for one
//     that does not exist).
//   - DescribeQuorum: kfake does not know the request. Here ApiVersions
//     advertises it and the answer is a simulated single-voter quorum: the
//     controller is the leader and only voter, every other broker an
//     observer, all caught up.
//
// The corrections need the cluster's Metadata while a request is held;
// they get it through an internal client (marked by its software name, so
// that its own ApiVersions requests pass through) while the held request
// sleeps (kfake's SleepControl). They answer without kfake's ACL checks:
// none of them changes anything.

// internalSoftware marks the internal client's requests.
const internalSoftware = "kctl-devcluster-internal"

// softwareName is Kafka's rule for ApiVersions v3+ client software names.
var softwareName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

type corrector struct {
	c  *kfake.Cluster
	cl *kgo.Client
	id string // the cluster ID

	mu       sync.Mutex
	versions *kmsg.ApiVersionsResponse // kfake's own answer, once read
}

// newCorrector builds the internal client for the cluster at addrs and
// installs the corrections.
func newCorrector(c *kfake.Cluster, id string, addrs []string, o Options) (*corrector, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.SoftwareNameAndVersion(internalSoftware, "1"),
		kgo.RequestRetries(2),
	}
	if o.TLS != nil {
		// The cluster's own listener, in this process, on loopback.
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // talks to itself
	}
	if o.SASLUser != "" {
		opts = append(opts, kgo.SASL(plain.Auth{User: o.SASLUser, Pass: o.SASLPassword}.AsMechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	k := &corrector{c: c, cl: cl, id: id}
	c.ControlKey(int16(kmsg.DescribeLogDirs), k.describeLogDirs)
	c.ControlKey(int16(kmsg.ApiVersions), k.apiVersions)
	c.ControlKey(int16(kmsg.DescribeQuorum), k.describeQuorum)
	// ElectLeaders answers for every key (-1): those hooks run after the
	// ones for its own key, so a test's observer of ElectLeaders still
	// sees each request.
	c.Control(k.electLeaders)
	return k, nil
}

func (k *corrector) close() { k.cl.Close() }

// metadata reads the cluster's Metadata while the held request sleeps.
func (k *corrector) metadata() (*kmsg.MetadataResponse, error) {
	var (
		meta *kmsg.MetadataResponse
		err  error
	)
	k.c.SleepControl(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		meta, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, k.cl)
	})
	if err == nil && meta == nil {
		err = context.Canceled // woken by Close
	}
	return meta, err
}

func (k *corrector) describeLogDirs(req kmsg.Request) (kmsg.Response, error, bool) {
	k.c.KeepControl()
	node := k.c.CurrentNode()
	meta, err := k.metadata()
	if err != nil {
		return nil, nil, false // kfake answers as it would
	}
	held := map[string]map[int32]bool{}
	var order []string
	for _, t := range meta.Topics {
		if t.Topic == nil || t.ErrorCode != 0 {
			continue
		}
		for _, p := range t.Partitions {
			for _, r := range p.Replicas {
				if r == node {
					if held[*t.Topic] == nil {
						held[*t.Topic] = map[int32]bool{}
						order = append(order, *t.Topic)
					}
					held[*t.Topic][p.Partition] = true
				}
			}
		}
	}
	r := req.(*kmsg.DescribeLogDirsRequest)
	topics := []kmsg.DescribeLogDirsRequestTopic{} // non-nil: only these
	if r.Topics == nil {
		for _, t := range order {
			rt := kmsg.NewDescribeLogDirsRequestTopic()
			rt.Topic = t
			for p := range held[t] {
				rt.Partitions = append(rt.Partitions, p)
			}
			topics = append(topics, rt)
		}
	} else {
		for _, t := range r.Topics {
			rt := kmsg.NewDescribeLogDirsRequestTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				if held[t.Topic][p] {
					rt.Partitions = append(rt.Partitions, p)
				}
			}
			if len(rt.Partitions) > 0 {
				topics = append(topics, rt)
			}
		}
	}
	r.Topics = topics
	return nil, nil, false // kfake answers the narrowed request
}

func (k *corrector) electLeaders(req kmsg.Request) (kmsg.Response, error, bool) {
	k.c.KeepControl()
	r, ok := req.(*kmsg.ElectLeadersRequest)
	if !ok {
		return nil, nil, false
	}
	resp := r.ResponseKind().(*kmsg.ElectLeadersResponse)
	if r.Topics == nil {
		return resp, nil, true // Kafka lists only the partitions it elected: none
	}
	meta, err := k.metadata()
	if err != nil {
		return nil, nil, false
	}
	parts := map[string]int{}
	for _, t := range meta.Topics {
		if t.Topic != nil && t.ErrorCode == 0 {
			parts[*t.Topic] = len(t.Partitions)
		}
	}
	for _, t := range r.Topics {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewElectLeadersResponseTopicPartition()
			rp.Partition = p
			if n, ok := parts[t.Topic]; !ok || p < 0 || int(p) >= n {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			} else {
				rp.ErrorCode = kerr.ElectionNotNeeded.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil, true
}

// kfakeVersions returns kfake's own ApiVersions answer, read once through
// the internal client while the held request sleeps.
func (k *corrector) kfakeVersions() *kmsg.ApiVersionsResponse {
	k.mu.Lock()
	v := k.versions
	k.mu.Unlock()
	if v != nil {
		return v
	}
	k.c.SleepControl(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := kmsg.NewPtrApiVersionsRequest()
		req.ClientSoftwareName, req.ClientSoftwareVersion = internalSoftware, "1"
		resp, err := req.RequestWith(ctx, k.cl)
		if err == nil && resp.ErrorCode == 0 {
			v = resp
		}
	})
	if v != nil {
		k.mu.Lock()
		k.versions = v
		k.mu.Unlock()
	}
	return v
}

func (k *corrector) apiVersions(req kmsg.Request) (kmsg.Response, error, bool) {
	k.c.KeepControl()
	r := req.(*kmsg.ApiVersionsRequest)
	node := k.c.CurrentNode()
	// v5 (KIP-1102) names the cluster and node the client expects.
	hasCluster, hasNode := r.Version >= 5 && r.ClusterID != nil, r.Version >= 5 && r.NodeID != -1
	wrongCluster := hasCluster != hasNode || hasCluster && (*r.ClusterID != k.id || r.NodeID != node)
	if r.ClientSoftwareName == internalSoftware || r.Version > 5 || wrongCluster ||
		(r.Version >= 3 && (!softwareName.MatchString(r.ClientSoftwareName) || !softwareName.MatchString(r.ClientSoftwareVersion))) {
		return nil, nil, false // kfake answers (and refuses what it refuses)
	}
	v := k.kfakeVersions()
	if v == nil {
		return nil, nil, false
	}
	modern := false
	for _, key := range v.ApiKeys {
		if key.ApiKey == int16(kmsg.DescribeTopicPartitions) { // Kafka 3.7+: KRaft
			modern = true
		}
	}
	if !modern {
		return nil, nil, false // an older Kafka simulated (kfake.MaxVersions): no quorum
	}
	resp := r.ResponseKind().(*kmsg.ApiVersionsResponse)
	version := resp.Version
	*resp = *v
	resp.Version = version
	resp.ApiKeys = append([]kmsg.ApiVersionsResponseApiKey(nil), v.ApiKeys...)
	have := false
	for _, key := range resp.ApiKeys {
		have = have || key.ApiKey == int16(kmsg.DescribeQuorum)
	}
	if !have {
		q := kmsg.NewApiVersionsResponseApiKey()
		q.ApiKey, q.MinVersion, q.MaxVersion = int16(kmsg.DescribeQuorum), 0, 2
		resp.ApiKeys = append(resp.ApiKeys, q)
	}
	return resp, nil, true
}

func (k *corrector) describeQuorum(req kmsg.Request) (kmsg.Response, error, bool) {
	k.c.KeepControl()
	r := req.(*kmsg.DescribeQuorumRequest)
	resp := r.ResponseKind().(*kmsg.DescribeQuorumResponse)
	meta, err := k.metadata()
	if err != nil {
		resp.ErrorCode = kerr.RequestTimedOut.Code
		return resp, nil, true
	}
	now := time.Now().UnixMilli()
	leader := meta.ControllerID
	for _, t := range r.Topics {
		rt := kmsg.NewDescribeQuorumResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDescribeQuorumResponseTopicPartition()
			rp.Partition = p.Partition
			if t.Topic != "__cluster_metadata" || p.Partition != 0 {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			rp.LeaderID, rp.LeaderEpoch, rp.HighWatermark = leader, 1, 1
			for _, b := range meta.Brokers {
				s := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
				s.ReplicaID, s.LogEndOffset = b.NodeID, 1
				if b.NodeID == leader {
					rp.CurrentVoters = append(rp.CurrentVoters, s) // -1 times: the leader
					continue
				}
				s.LastFetchTimestamp, s.LastCaughtUpTimestamp = now, now
				rp.Observers = append(rp.Observers, s)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for _, b := range meta.Brokers {
		if b.NodeID != leader {
			continue
		}
		n := kmsg.NewDescribeQuorumResponseNode()
		n.NodeID = b.NodeID
		l := kmsg.NewDescribeQuorumResponseNodeListener()
		l.Name, l.Host, l.Port = "CONTROLLER", b.Host, uint16(b.Port)
		n.Listeners = append(n.Listeners, l)
		resp.Nodes = append(resp.Nodes, n)
	}
	return resp, nil, true
}
