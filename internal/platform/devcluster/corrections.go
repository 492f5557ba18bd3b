package devcluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
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
//     advertises it (quorumShimConn, on the wire, so that a test's own
//     control functions still see every ApiVersions request) and the
//     answer is a simulated single-voter quorum: the controller is the
//     leader and only voter, every other broker an observer, all caught up.
//
// The corrections need the cluster's Metadata while a request is held;
// they get it through an internal client while the held request sleeps
// (kfake's SleepControl). They answer without kfake's ACL checks: none of
// them changes anything.

// internalSoftware names the internal client in its ApiVersions requests.
const internalSoftware = "kctl-devcluster-internal"

type corrector struct {
	c  *kfake.Cluster
	cl *kgo.Client
	id string // the cluster ID

}

// newCorrector builds the internal client for the cluster at addrs and
// installs the corrections.
func newCorrector(c *kfake.Cluster, addrs []string, o Options) (*corrector, error) {
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
	k := &corrector{c: c, cl: cl}
	c.ControlKey(int16(kmsg.DescribeLogDirs), k.describeLogDirs)
	c.ControlKey(int16(kmsg.DescribeQuorum), k.describeQuorum)
	if _, err := newBrokerConfigs(k); err != nil {
		cl.Close()
		return nil, err
	}
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

// quorumShimListener wraps each connection in a quorumShimConn.
type quorumShimListener struct{ net.Listener }

func (l quorumShimListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &quorumShimConn{Conn: c, r: bufio.NewReader(c)}, nil
}

// quorumShimConn adds DescribeQuorum (versions 0-2) to every ApiVersions
// response kfake answers without error as a KRaft-era broker (it
// advertises DescribeTopicPartitions, Kafka 3.7+; a cluster capped to an
// older release by kfake.MaxVersions gets no quorum). It follows the
// request frames only to find ApiVersions requests; every other byte
// passes through untouched.
type quorumShimConn struct {
	net.Conn
	r    *bufio.Reader
	left int // bytes of the current request frame not yet read (Read only)

	mu      sync.Mutex      // Read and Write run on different goroutines
	pending map[int32]int16 // ApiVersions correlation ID → version
}

func (c *quorumShimConn) Read(p []byte) (int, error) {
	if c.left == 0 {
		// A new frame: size, key, version, correlation ID.
		h, err := c.r.Peek(12)
		if err != nil {
			if len(h) == 0 {
				return 0, err
			}
			return c.r.Read(p) // a short tail: kfake sees the error itself
		}
		c.left = 4 + int(int32(binary.BigEndian.Uint32(h)))
		if c.left < 12 {
			c.left = 12
		}
		if binary.BigEndian.Uint16(h[4:]) == uint16(kmsg.ApiVersions) {
			c.mu.Lock()
			if c.pending == nil {
				c.pending = map[int32]int16{}
			}
			c.pending[int32(binary.BigEndian.Uint32(h[8:]))] = int16(binary.BigEndian.Uint16(h[6:]))
			c.mu.Unlock()
		}
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	return n, err
}

func (c *quorumShimConn) Write(b []byte) (int, error) {
	var (
		version int16
		mine    bool
	)
	c.mu.Lock()
	if len(b) >= 8 && len(c.pending) > 0 {
		corr := int32(binary.BigEndian.Uint32(b[4:8]))
		if version, mine = c.pending[corr]; mine {
			delete(c.pending, corr)
		}
	}
	c.mu.Unlock()
	if !mine {
		return c.Conn.Write(b)
	}
	out := addDescribeQuorum(b, version)
	if out == nil {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// addDescribeQuorum returns the ApiVersions response frame with
// DescribeQuorum 0-2 added, or nil when the frame does not parse, is an
// error, already has it, or is not a KRaft-era broker's.
func addDescribeQuorum(frame []byte, version int16) []byte {
	resp := kmsg.ApiVersionsResponse{Version: version}
	if err := resp.ReadFrom(frame[8:]); err != nil || resp.ErrorCode != 0 {
		return nil
	}
	modern := false
	for _, k := range resp.ApiKeys {
		switch k.ApiKey {
		case int16(kmsg.DescribeQuorum):
			return nil
		case int16(kmsg.DescribeTopicPartitions):
			modern = true
		}
	}
	if !modern {
		return nil
	}
	q := kmsg.NewApiVersionsResponseApiKey()
	q.ApiKey, q.MinVersion, q.MaxVersion = int16(kmsg.DescribeQuorum), 0, 2
	resp.ApiKeys = append(resp.ApiKeys, q)
	out := append([]byte{}, frame[:8]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}
