package records

import (
	"bytes"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batchHeader is the size of a v2 record batch header (61 bytes), counted
// by the broker against max.message.bytes with the records after it.
const batchHeader = 61

// kgoBatchExtra is what the producer (kgo) counts on top of the broker's
// size of a batch: the 4-byte records array length before it. kgo's
// ProducerBatchMaxBytes is set to max.message.bytes plus this, so that a
// batch the producer builds is exactly one the broker takes.
const kgoBatchExtra = 4

// maxClientBatch is the largest batch kctl's Kafka client (kgo) can send:
// its bound of one write is at most 1 GiB, and a produce request holds the
// batch and a little more. A topic whose max.message.bytes is larger is
// written with batches of this size; a line over it is refused, naming it.
const maxClientBatch = 1<<30 - produceRequestSlack

// produceRequestSlack is room for a produce request's fields around its one
// batch (topic name, partition, acks, timeout, transactional id).
const produceRequestSlack = 64 << 10

func varlen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// BatchSize returns the size of a record batch holding just this record,
// uncompressed, as the broker counts it against max.message.bytes: the
// 61-byte header, then the record's varint length and body.
func BatchSize(key, value []byte, keyNull bool, headers []kgo.RecordHeader) int {
	body := 1 + 1 + 1 // attributes, timestamp delta 0, offset delta 0
	if keyNull {
		body += varlen(-1)
	} else {
		body += varlen(int64(len(key))) + len(key)
	}
	body += varlen(int64(len(value))) + len(value)
	body += varlen(int64(len(headers)))
	for _, h := range headers {
		body += varlen(int64(len(h.Key))) + len(h.Key) + varlen(int64(len(h.Value))) + len(h.Value)
	}
	return batchHeader + varlen(int64(body)) + body
}

// compressedSize returns about how large the single-record batch of key,
// value and headers is compressed with codec (the header stays
// uncompressed); 0 when there is no codec.
func compressedSize(codec string, key, value []byte, headers []kgo.RecordHeader) int {
	c, ok := codecOf(codec)
	if !ok {
		return 0
	}
	comp, err := kgo.DefaultCompressor(c)
	if err != nil || comp == nil {
		return 0
	}
	raw := make([]byte, 0, len(key)+len(value)+16)
	raw = append(raw, key...)
	raw = append(raw, value...)
	for _, h := range headers {
		raw = append(raw, h.Key...)
		raw = append(raw, h.Value...)
	}
	var buf bytes.Buffer
	out, _ := comp.Compress(&buf, raw)
	// The record's framing varints (lengths, deltas): at most ~20 bytes.
	return batchHeader + len(out) + 20 + 5*len(headers)
}

func codecOf(name string) (kgo.CompressionCodec, bool) {
	switch strings.ToLower(name) {
	case "gzip":
		return kgo.GzipCompression(), true
	case "snappy":
		return kgo.SnappyCompression(), true
	case "lz4":
		return kgo.Lz4Compression(), true
	case "zstd":
		return kgo.ZstdCompression(), true
	}
	return kgo.NoCompression(), false
}
