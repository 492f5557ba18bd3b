package kafka

// Registry is a context's Schema Registry: where it is and how to log in.
// It holds no secret: the password comes from PasswordFile or
// $KCTL_REGISTRY_PASSWORD, the bearer token from TokenFile or
// $KCTL_REGISTRY_TOKEN.
type Registry struct {
	URL          string `json:"url,omitempty" yaml:"url,omitempty"`
	User         string `json:"user,omitempty" yaml:"user,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty" yaml:"passwordFile,omitempty"`
	TokenFile    string `json:"tokenFile,omitempty" yaml:"tokenFile,omitempty"`
	CAFile       string `json:"ca,omitempty" yaml:"ca,omitempty"`
	CertFile     string `json:"cert,omitempty" yaml:"cert,omitempty"`
	KeyFile      string `json:"key,omitempty" yaml:"key,omitempty"`
}
