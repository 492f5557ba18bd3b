package topology

// accessSchema returns the JSON Schema of the access sections, by key.
func accessSchema() map[string]any {
	principal := map[string]any{"type": "string", "pattern": `^User:.+$`, "description": "User:<name> (User:* for everyone)."}
	names := map[string]any{
		"description": "A name, a prefix ending in * (user.*), or * for all; one or a list.",
		"oneOf":       []any{map[string]any{"type": "string", "minLength": 1}, map[string]any{"type": "array", "items": map[string]any{"type": "string", "minLength": 1}}},
	}
	ops := map[string]any{
		"description": "ACL operations (case and -/_ insensitive): " + joinComma(Operations) + ".",
		"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string"}},
		},
	}
	size := map[string]any{
		"description": "Bytes per second: a whole number or a size (10MiB, 512KiB).",
		"oneOf":       []any{map[string]any{"type": "integer", "minimum": 1}, map[string]any{"type": "string", "pattern": sizePattern}},
	}
	return map[string]any{
		"managedPrincipals": map[string]any{
			"type":        "array",
			"description": "Principals whose ACLs, SCRAM credentials and quotas --prune may delete (besides the declared users).",
			"items":       principal,
		},
		"users": map[string]any{
			"type":        "array",
			"description": "SCRAM credentials. The password is never in the file: passwordFrom names an environment variable or a file read at apply time.",
			"items": map[string]any{
				"type":                 "object",
				"additionalProperties": false,
				"required":             []string{"name", "passwordFrom"},
				"properties": map[string]any{
					"name":       map[string]any{"type": "string", "minLength": 1},
					"mechanism":  map[string]any{"type": "string", "enum": []string{"scram-sha-256", "scram-sha-512", "SCRAM-SHA-256", "SCRAM-SHA-512"}, "default": "scram-sha-256"},
					"iterations": map[string]any{"type": "integer", "minimum": MinScramIterations, "maximum": MaxScramIterations, "default": DefaultScramIterations},
					"passwordFrom": map[string]any{
						"type":                 "object",
						"additionalProperties": false,
						"minProperties":        1,
						"maxProperties":        1,
						"properties": map[string]any{
							"env":  map[string]any{"type": "string", "minLength": 1, "description": "Environment variable holding the password."},
							"file": map[string]any{"type": "string", "minLength": 1, "description": "File holding the password (trailing newline ignored); a relative path is relative to the directory of the topics file."},
						},
					},
				},
			},
		},
		"acls": map[string]any{
			"type":        "array",
			"description": "ACLs: producer/consumer shorthands or the long form allow/deny with a resource.",
			"items": map[string]any{
				"type":                 "object",
				"additionalProperties": false,
				"required":             []string{"principal"},
				"properties": map[string]any{
					"principal": principal,
					"host":      map[string]any{"type": "string", "minLength": 1, "default": "*"},
					"producer": map[string]any{
						"type": "object", "additionalProperties": false, "required": []string{"topics"},
						"description": "Write and Describe on the topics (+ Write, Describe on transactionalId; + IdempotentWrite on the cluster with idempotent: true, needed only by brokers before Kafka 3.0).",
						"properties":  map[string]any{"topics": names, "transactionalId": names, "idempotent": map[string]any{"type": "boolean"}},
					},
					"consumer": map[string]any{
						"type": "object", "additionalProperties": false, "required": []string{"topics", "group"},
						"description": "Read and Describe on the topics, Read on the group.",
						"properties":  map[string]any{"topics": names, "group": names},
					},
					"allow": ops,
					"deny":  ops,
					"resource": map[string]any{
						"type": "object", "additionalProperties": false, "required": []string{"type"},
						"properties": map[string]any{
							"type":    map[string]any{"type": "string", "enum": ResourceTypes},
							"name":    map[string]any{"type": "string", "minLength": 1, "description": "The resource's name; \"*\" for all; omitted for cluster."},
							"pattern": map[string]any{"type": "string", "enum": []string{PatternLiteral, PatternPrefixed}, "default": PatternLiteral},
						},
					},
				},
			},
		},
		"quotas": map[string]any{
			"type":        "array",
			"description": "Client quotas for a user, a client ID, both, or every user (default: true).",
			"items": map[string]any{
				"type":                 "object",
				"additionalProperties": false,
				"properties": map[string]any{
					"user":                   map[string]any{"type": "string", "minLength": 1},
					"clientId":               map[string]any{"type": "string", "minLength": 1},
					"default":                map[string]any{"type": "boolean", "description": "The quota of every user without its own."},
					"consumerByteRate":       size,
					"producerByteRate":       size,
					"requestPercentage":      map[string]any{"type": "number", "exclusiveMinimum": 0},
					"controllerMutationRate": map[string]any{"type": "number", "exclusiveMinimum": 0},
				},
			},
		},
	}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
