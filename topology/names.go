package topology

import (
	"fmt"
	"strings"
)

// MaxTopicNameLength is Kafka's limit on topic names.
const MaxTopicNameLength = 249

// CheckTopicName applies Kafka's topic-name rules (Topic.validate): not
// empty, not "." or "..", at most 249 characters, only ASCII letters,
// digits, '.', '_' and '-'. It returns "" for a legal name, else what is
// wrong.
func CheckTopicName(name string) string {
	switch {
	case name == "":
		return "topic name is empty"
	case name == "." || name == "..":
		return fmt.Sprintf("topic name %q is not allowed by Kafka", name)
	case len(name) > MaxTopicNameLength:
		return fmt.Sprintf("topic name is %d characters long; Kafka allows at most %d", len(name), MaxTopicNameLength)
	}
	for i := 0; i < len(name); i++ {
		if !legalNameByte(name[i]) {
			r := []rune(name[i:])[0]
			return fmt.Sprintf("topic name %q has the illegal character %q: use only a-z, A-Z, 0-9, '.', '_' and '-'", name, r)
		}
	}
	return ""
}

func legalNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// FoldName maps a topic name to the form Kafka uses to detect collisions:
// '.' and '_' are the same in metric names, so Kafka refuses to create
// "a.b" when "a_b" exists.
func FoldName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// IsInternalName reports whether name is one of the topics kctl never
// deletes: Kafka's own (__consumer_offsets, __transaction_state, any
// "__" name), Schema Registry's _schemas, Confluent's _confluent*, and Kafka
// Connect's connect-* topics.
func IsInternalName(name string) bool {
	return strings.HasPrefix(name, "__") || name == "_schemas" ||
		strings.HasPrefix(name, "_confluent") || strings.HasPrefix(name, "connect-")
}
