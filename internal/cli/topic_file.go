package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/kctl/kctl/topology"
	"gopkg.in/yaml.v3"
)

// editTopicsFile returns the topics file data with topic o.Name's entry
// changed as the command changed the cluster (--write-file): a delete
// removes the entry; otherwise the entry (added when the topic is not
// declared) gets the partitions, replication factor and configs given, as
// written on the command line. Comments and the rest of the file are kept
// (yaml.v3 re-indents). A file with environments is refused: which part to
// edit is the operator's call.
func editTopicsFile(data []byte, o *TopicOptions, e topicEntry) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a mapping")
	}
	root := doc.Content[0]
	if mapGet(root, "environments") != nil {
		return nil, errors.New("the file has environments: edit the base or the environment by hand")
	}
	topics := mapGet(root, "topics")
	if topics == nil {
		topics = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "topics"}, topics)
	}
	if topics.Kind != yaml.SequenceNode {
		return nil, errors.New("topics: is not a list")
	}
	idx := -1
	for i, item := range topics.Content {
		if n := mapGet(item, "name"); n != nil && n.Value == o.Name {
			idx = i
		}
	}
	switch {
	case o.Kind == topicDelete && idx < 0:
		return data, nil
	case o.Kind == topicDelete:
		topics.Content = slices.Delete(topics.Content, idx, idx+1)
	case idx < 0:
		var item yaml.Node
		if err := item.Encode(e); err != nil {
			return nil, err
		}
		topics.Content = append(topics.Content, &item)
	default:
		item := topics.Content[idx]
		if o.Kind == topicCreate || o.Kind == topicAddPartitions {
			mapSet(item, "partitions", strconv.Itoa(int(e.Partitions)), "!!int")
		}
		if o.Kind == topicCreate {
			mapSet(item, "replicationFactor", strconv.Itoa(int(e.ReplicationFactor)), "!!int")
		}
		if len(e.Config) > 0 {
			cfg := mapGet(item, "config")
			if cfg == nil || cfg.Kind != yaml.MappingNode {
				cfg = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				mapPut(item, "config", cfg)
			}
			keys := make([]string, 0, len(e.Config))
			for k := range e.Config {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				mapSet(cfg, k, e.Config[k], "!!str")
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapPut(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func mapSet(m *yaml.Node, key, value, tag string) {
	if n := mapGet(m, key); n != nil && n.Kind == yaml.ScalarNode {
		n.Value, n.Tag, n.Style = value, tag, 0
		return
	}
	mapPut(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
}

// writeTopicsFile makes the edit of --write-file in path, after checking
// that the result is still a valid topics file; it says what it did.
func writeTopicsFile(f *Factory, path string, o *TopicOptions, e topicEntry) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--write-file: %w", err)
	}
	out, err := editTopicsFile(data, o, e)
	if err != nil {
		return fmt.Errorf("--write-file: %s not changed: %w (the cluster was changed)", path, err)
	}
	if bytes.Equal(out, data) {
		return nil
	}
	if _, diags := topology.Parse(path, out); len(diags.Errors()) > 0 {
		return fmt.Errorf("--write-file: %s not changed: the edit would not validate: %v (the cluster was changed)", path, diags.Errors())
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--write-file: %w", err)
	}
	if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
		return fmt.Errorf("--write-file: %w (the cluster was changed)", err)
	}
	if o.Kind == topicDelete {
		fmt.Fprintf(f.IO.ErrOut, "wrote %s: topic %s removed\n", path, o.Name)
		return nil
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s: topic %s as the cluster now has it (kctl plan shows no change for it)\n", path, o.Name)
	return nil
}
